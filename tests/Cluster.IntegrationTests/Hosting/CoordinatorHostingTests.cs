using System.Net;
using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Cluster.Worker;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cluster.IntegrationTests.Hosting;

/// <summary>
/// The coordinator hosted inside an ASP.NET Core application (<c>AddClusterCoordinator</c>,
/// <c>MapClusterCoordinator</c>) serves a real client and worker over gRPC, beside the
/// application's own endpoints. Runs once on each store (the fixture's redis-server, or an
/// embedded store of the application's own).
/// </summary>
public abstract class CoordinatorHostingTests<TFixture>(TFixture fixture) where TFixture : HostingCoordinator
{
    [SkippableFact]
    public async Task CoordinatorInAWebApplication_ServesTasks_AndItsTokensGuardOnlyItsOwnServices()
    {
        fixture.Require();
        var directory = Directory.CreateTempSubdirectory("cluster-hosting-");
        var clientToken = ClusterFixture.NewToken();
        var workerToken = ClusterFixture.NewToken();
        var tokens = Path.Combine(directory.FullName, "tokens");
        await File.WriteAllTextAsync(tokens, $"client app {clientToken}\nworker w {workerToken}\n");
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Cluster:Coordinator:Redis"] = fixture.RedisAddress,
                ["Cluster:Coordinator:KeyPrefix"] = "web" + Guid.NewGuid().ToString("N")[..8],
                ["Cluster:Coordinator:TokensFile"] = tokens,
                ["Cluster:Coordinator:LeaseTime"] = "00:00:05",
            });
            builder.Services.AddClusterCoordinator(builder.Configuration.GetSection("Cluster:Coordinator"));
            await using var app = builder.Build();
            app.MapGet("/hello", () => "hello from the application");
            app.MapClusterCoordinator();
            await app.StartAsync().WithTimeout();
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

            using var worker = new WorkerProcess(new WorkerOptions { Coordinator = address, Token = workerToken, Threads = 2 }, new TaskRegistry().Register("web.square", (long x) => x * x));
            using var stop = new CancellationTokenSource();
            var running = worker.RunAsync(stop.Token);
            try
            {
                await using var executor = new ClusterExecutor(address.ToString(), new ClusterExecutorOptions { Token = clientToken });
                var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => executor.Submit<long>("web.square", (long)i).AsTask())).WithTimeout();
                Assert.Equal(Enumerable.Range(0, 40).Select(i => (long)i * i), results);

                // The coordinator's checks guard its services, and nothing else of the application.
                using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(address);
                var refused = await Assert.ThrowsAsync<RpcException>(() => new Admin.AdminClient(channel).StatusAsync(new StatusRequest()).ResponseAsync.WithTimeout());
                Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
                using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
                Assert.Equal("hello from the application", await http.GetStringAsync(new Uri(address, "/hello")).WithTimeout());

                // Its health (open to every caller, no token) turns SERVING once its store answers a PING.
                var health = new Grpc.Health.V1.Health.HealthClient(channel);
                await TaskTimeouts.Eventually(async () => (await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest()).ResponseAsync).Status == Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, "the hosted coordinator's health says SERVING");
            }
            finally
            {
                await stop.CancelAsync();
                await running.WithTimeout();
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}

public sealed class EmbeddedStoreCoordinatorHostingTests(EmbeddedHostingCoordinator fixture)
    : CoordinatorHostingTests<EmbeddedHostingCoordinator>(fixture), IClassFixture<EmbeddedHostingCoordinator>;

public sealed class RedisServerCoordinatorHostingTests(RedisHostingCoordinator fixture)
    : CoordinatorHostingTests<RedisHostingCoordinator>(fixture), IClassFixture<RedisHostingCoordinator>;
