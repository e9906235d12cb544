using System.Net;
using Cluster.IntegrationTests.Infrastructure;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Cluster.IntegrationTests.Telemetry;

/// <summary>
/// The coordinator's health follows its store: grpc.health.v1 and GET /healthz say SERVING while a
/// real redis-server answers, NOT_SERVING once it is killed, and SERVING again when it is back on
/// the same port.
/// </summary>
public sealed class HealthTests
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(90);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [SkippableFact]
    public async Task Health_IsNotServing_WhileTheStoreIsDown_AndServingWhenItIsBack()
    {
        Requirements.Require(RedisServer.Missing);
        var redis = await RedisServer.StartAsync();
        var port = redis.Port;
        try
        {
            await using var coordinator = ChildProcess.StartCluster("coordinator", "--port", "0", "--http-port", "0", "--redis", redis.Address);
            var address = new Uri((await coordinator.WaitForOutputAsync(@"Coordinator listening on (\S+)", Start)).Groups[1].Value);
            var http = new Uri((await coordinator.WaitForOutputAsync(@"Metrics at (\S+/)metrics", Start)).Groups[1].Value);
            using var channel = GrpcChannel.ForAddress(address);
            var health = new Health.HealthClient(channel);

            await WaitForAsync(health, http, HealthCheckResponse.Types.ServingStatus.Serving, HttpStatusCode.OK);

            await redis.DisposeAsync(); // kills the redis-server by its PID
            await WaitForAsync(health, http, HealthCheckResponse.Types.ServingStatus.NotServing, HttpStatusCode.ServiceUnavailable);

            redis = await RedisServer.StartAsync(port: port);
            await WaitForAsync(health, http, HealthCheckResponse.Types.ServingStatus.Serving, HttpStatusCode.OK);
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }

    private static Task WaitForAsync(Health.HealthClient health, Uri http, HealthCheckResponse.Types.ServingStatus status, HttpStatusCode code) =>
        TaskTimeouts.Eventually(async () =>
        {
            var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
            using var response = await Http.GetAsync(new Uri(http, "healthz"));
            return reply.Status == status && response.StatusCode == code
                && (await response.Content.ReadAsStringAsync()).Trim() == (status == HealthCheckResponse.Types.ServingStatus.Serving ? "SERVING" : "NOT_SERVING");
        }, $"grpc.health.v1 says {status} and /healthz answers {(int)code}");
}
