using System.Net;
using System.Net.Http.Headers;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.IntegrationTests.Security;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;

namespace Cluster.IntegrationTests.Telemetry;

/// <summary>
/// With tokens: health answers anyone (a probe holds no token); /metrics and gRPC reflection are
/// for admin tokens only, as Admin.Status is.
/// </summary>
public sealed class AuthTelemetryTests(EmbeddedAuthCluster cluster) : IClassFixture<EmbeddedAuthCluster>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [SkippableFact]
    public async Task Health_AnswersACallWithoutAToken()
    {
        cluster.Require();

        var reply = await new Health.HealthClient(cluster.ChannelFor(null)).CheckAsync(new HealthCheckRequest()).ResponseAsync.WithTimeout();

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [SkippableFact]
    public async Task Metrics_NeedAnAdminToken()
    {
        cluster.Require();
        var metrics = new Uri(cluster.HttpAddress!, "metrics");

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(metrics, token: null));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(metrics, ClusterFixture.NewToken()));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(metrics, cluster.ClientToken));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(metrics, cluster.AdminToken));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(new Uri(cluster.HttpAddress!, "healthz"), token: null));
    }

    [SkippableFact]
    public async Task Reflection_IsRefusedToAClient_AndListsTheServicesToAnAdmin()
    {
        cluster.Require();

        var refused = await Assert.ThrowsAsync<RpcException>(() => ListServicesAsync(cluster.ClientToken));
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);

        var services = await ListServicesAsync(cluster.AdminToken);
        Assert.Contains("cluster.v1.Tasks", services);
        Assert.Contains("cluster.v1.Workers", services);
        Assert.Contains("cluster.v1.Admin", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }

    private async Task<List<string>> ListServicesAsync(string token)
    {
        using var call = new ServerReflection.ServerReflectionClient(cluster.ChannelFor(token)).ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(30));
        try
        {
            await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty });
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // A refused call may end before the request is written: its status is read below.
        }
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        return [.. call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name)];
    }

    private static async Task<HttpStatusCode> StatusAsync(Uri uri, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        using var response = await Http.SendAsync(request).WithTimeout();
        return response.StatusCode;
    }
}
