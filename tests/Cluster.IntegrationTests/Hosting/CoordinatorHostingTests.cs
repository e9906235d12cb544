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
        var adminToken = ClusterFixture.NewToken();
        var tokens = Path.Combine(directory.FullName, "tokens");
        await File.WriteAllTextAsync(tokens, $"client app {clientToken}\nworker w {workerToken}\nadmin ops {adminToken}\n");
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            ListenOptions? grpcEndpoint = null, webEndpoint = null;
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.Listen(IPAddress.Loopback, 0, listen => (grpcEndpoint = listen).Protocols = HttpProtocols.Http2);
                // Browsers speak HTTP/1.1 to a cleartext endpoint: the dashboard is served there.
                kestrel.Listen(IPAddress.Loopback, 0, listen => (webEndpoint = listen).Protocols = HttpProtocols.Http1);
            });
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
            app.MapClusterDashboard("/cluster");
            await app.StartAsync().WithTimeout();
            var address = new Uri($"http://127.0.0.1:{grpcEndpoint!.IPEndPoint!.Port}/");
            var web = new Uri($"http://127.0.0.1:{webEndpoint!.IPEndPoint!.Port}/");

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

                await DashboardIsServedAsync(web, adminToken, clientToken);
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

    /// <summary>
    /// The dashboard the application mapped below /cluster: the page for an admin token, refused
    /// without one, its script beside it, and the pushed state, which shows the worker connected.
    /// </summary>
    private static async Task DashboardIsServedAsync(Uri web, string adminToken, string clientToken)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = web };
        var bare = await http.GetAsync(new Uri("cluster", UriKind.Relative)).WithTimeout();
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/cluster/", bare.Headers.Location!.OriginalString);

        var refused = await http.GetAsync(new Uri("cluster/", UriKind.Relative)).WithTimeout();
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("id=\"token\"", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var asClient = new HttpRequestMessage(HttpMethod.Get, new Uri("cluster/", UriKind.Relative)) { Headers = { Authorization = new("Bearer", clientToken) } };
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(asClient).WithTimeout()).StatusCode);

        http.DefaultRequestHeaders.Authorization = new("Bearer", adminToken);
        var page = await http.GetAsync(new Uri("cluster/", UriKind.Relative)).WithTimeout();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"dashboard.js\" defer></script>", html, StringComparison.Ordinal);
        Assert.Contains("id=\"workers\"", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("cluster/dashboard.js", UriKind.Relative)).WithTimeout()).StatusCode);

        // The first state pushed to a page: read from the store, with the application's worker in it.
        using var events = await http.GetAsync(new Uri("cluster/events", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead).WithTimeout();
        Assert.Equal("text/event-stream", events.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await events.Content.ReadAsStreamAsync());
        string? line;
        do
        {
            line = await reader.ReadLineAsync().WithTimeout();
        }
        while (line is not null && !line.StartsWith("data: ", StringComparison.Ordinal));
        using var state = System.Text.Json.JsonDocument.Parse(line!["data: ".Length..]);
        Assert.Contains(state.RootElement.GetProperty("workers").EnumerateArray(), w => w.GetProperty("tasks").GetString() == "web.square");
    }
}

public sealed class EmbeddedStoreCoordinatorHostingTests(EmbeddedHostingCoordinator fixture)
    : CoordinatorHostingTests<EmbeddedHostingCoordinator>(fixture), IClassFixture<EmbeddedHostingCoordinator>;

public sealed class RedisServerCoordinatorHostingTests(RedisHostingCoordinator fixture)
    : CoordinatorHostingTests<RedisHostingCoordinator>(fixture), IClassFixture<RedisHostingCoordinator>;
