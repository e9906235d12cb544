using Cluster.Cli.Settings;
using Cluster.Contracts;
using Grpc.Core;
using Grpc.Health.V1;

namespace Cluster.Cli.Commands;

/// <summary>
/// <c>cluster health --coordinator URL</c>: asks the coordinator's grpc.health.v1 service whether it
/// serves (its store answers). Exit code 0 when SERVING, 1 otherwise: a container healthcheck or a
/// script can use it as it is. Needs no token.
/// </summary>
internal static class HealthCommand
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(SettingValues values, CancellationToken cancellationToken)
    {
        var coordinator = values.Get(ClusterOptions.Coordinator)!;
        var security = ClientToken.Security(values);
        using var channel = ClusterChannel.Create(coordinator, security);
        try
        {
            var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow + Deadline, cancellationToken: cancellationToken);
            var serving = reply.Status == HealthCheckResponse.Types.ServingStatus.Serving;
            Console.WriteLine(serving ? $"{coordinator}: SERVING" : $"{coordinator}: {reply.Status} (its task store does not answer)");
            return serving ? 0 : 1;
        }
        catch (RpcException e)
        {
            await Console.Error.WriteLineAsync($"cluster: {coordinator} did not answer the health check ({e.StatusCode}: {e.Status.Detail}).");
            return 1;
        }
    }
}
