using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Cluster.IntegrationTests.Hosting;

/// <summary>
/// The client SDK in an application's Generic Host: <c>AddClusterClient</c> binds its options from
/// configuration and hands out one executor, which runs tasks on a real coordinator and worker.
/// Runs once on each store.
/// </summary>
public abstract class ClientHostingTests<TFixture>(TFixture coordinator) where TFixture : HostingCoordinator
{
    [SkippableFact]
    public async Task AddClusterClient_FromConfiguration_RunsTasksThroughTheInjectedExecutor()
    {
        coordinator.Require();
        using var worker = new WorkerProcess(new WorkerOptions { Coordinator = coordinator.Address, Threads = 2 }, new TaskRegistry().Register("hosting.client.add", (long a, long b) => a + b));
        using var stop = new CancellationTokenSource();
        var running = worker.RunAsync(stop.Token);
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cluster:Client:Addresses:0"] = coordinator.Address.ToString(),
            ["Cluster:Client:MaxBatchTasks"] = "17",
        });
        builder.Services.AddClusterClient(builder.Configuration.GetSection("Cluster:Client"));
        try
        {
            using (var host = builder.Build())
            {
                await host.StartAsync().WithTimeout();
                var executor = host.Services.GetRequiredService<IClusterExecutor>();

                var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => executor.Submit<long>("hosting.client.add", i, 1000L).AsTask())).WithTimeout();

                Assert.Equal(Enumerable.Range(0, 50).Select(i => i + 1000L), results);
                Assert.Same(executor, host.Services.GetRequiredService<ClusterExecutor>());
                Assert.Equal(17, host.Services.GetRequiredService<IOptions<ClusterExecutorOptions>>().Value.MaxBatchTasks);
                await host.StopAsync().WithTimeout();
                // Stopped with the host: it takes no more tasks.
                Assert.Throws<InvalidOperationException>(() => executor.Submit<long>("hosting.client.add", 1, 2));
            }
        }
        finally
        {
            await stop.CancelAsync();
            await running.WithTimeout();
        }
    }
}

public sealed class EmbeddedStoreClientHostingTests(EmbeddedHostingCoordinator coordinator)
    : ClientHostingTests<EmbeddedHostingCoordinator>(coordinator), IClassFixture<EmbeddedHostingCoordinator>;

public sealed class RedisServerClientHostingTests(RedisHostingCoordinator coordinator)
    : ClientHostingTests<RedisHostingCoordinator>(coordinator), IClassFixture<RedisHostingCoordinator>;
