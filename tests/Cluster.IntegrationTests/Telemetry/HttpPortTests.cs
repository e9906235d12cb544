using System.Net;
using Cluster.IntegrationTests.Infrastructure;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Cluster.IntegrationTests.Telemetry;

/// <summary>`--http-port`: 0 picks a free port and prints it; none turns the HTTP port off; a bad value stops start-up naming it.</summary>
public sealed class HttpPortTests
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(90);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task HttpPortZero_PicksAFreePortPerCoordinator_AndPrintsIt()
    {
        await using var first = ChildProcess.StartCluster("coordinator", "--port", "0", "--http-port", "0");
        await using var second = ChildProcess.StartCluster("coordinator", "--port", "0", "--http-port", "0");

        var a = new Uri((await first.WaitForOutputAsync(@"Metrics at (\S+/)metrics", Start)).Groups[1].Value);
        var b = new Uri((await second.WaitForOutputAsync(@"Metrics at (\S+/)metrics", Start)).Groups[1].Value);

        Assert.NotEqual(a.Port, b.Port);
        Assert.NotEqual(5051, a.Port);
        foreach (var http in new[] { a, b })
        {
            await TaskTimeouts.Eventually(async () =>
            {
                using var response = await Http.GetAsync(new Uri(http, "healthz"));
                return response.StatusCode == HttpStatusCode.OK;
            }, $"{http}healthz answers 200");
        }
    }

    [Fact]
    public async Task HttpPortNone_ServesNoHttp_WhileGrpcServes()
    {
        await using var coordinator = ChildProcess.StartCluster("coordinator", "--port", "0", "--http-port", "none");
        var address = new Uri((await coordinator.WaitForOutputAsync(@"Coordinator listening on (\S+)", Start)).Groups[1].Value);
        using var channel = GrpcChannel.ForAddress(address);

        // Serving over gRPC; the line that would name the HTTP port follows the listening line at once.
        await TaskTimeouts.Eventually(async () =>
            (await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest())).Status == HealthCheckResponse.Types.ServingStatus.Serving,
            "the coordinator serves");

        Assert.DoesNotContain("Metrics at", coordinator.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpPort_NotANumber_StopsStartUp_NamingTheOption()
    {
        await using var coordinator = ChildProcess.StartCluster("coordinator", "--port", "0", "--http-port", "web");

        Assert.NotEqual(0, await coordinator.WaitForExitAsync(Start));
        Assert.Contains("--http-port", coordinator.Output, StringComparison.Ordinal);
        Assert.Contains("none", coordinator.Output, StringComparison.Ordinal);
    }
}
