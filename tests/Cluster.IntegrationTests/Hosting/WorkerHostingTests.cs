using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.IntegrationTests.Hosting;

/// <summary>
/// A worker and a client hosted in an application's Generic Host through DI, against a real
/// coordinator over gRPC: handlers take the application's services, from a scope of each run's own
/// that ends with the run. Runs once on each store.
/// </summary>
public abstract class WorkerHostingTests<TFixture>(TFixture coordinator) where TFixture : HostingCoordinator
{
    private IHost Build(Action<ClusterWorkerBuilder> tasks, Dictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cluster:Client:Addresses:0"] = coordinator.Address.ToString(),
            ["Cluster:Worker:Coordinators:0"] = coordinator.Address.ToString(),
            ["Cluster:Worker:Threads"] = "3",
            ["Cluster:Worker:Coroutines"] = "7",
        });
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        builder.Services.AddSingleton<ProbeCounts>();
        builder.Services.AddScoped<RunProbe>();
        tasks(builder.Services.AddClusterWorker(builder.Configuration.GetSection("Cluster:Worker")));
        builder.Services.AddClusterClient(builder.Configuration.GetSection("Cluster:Client"));
        return builder.Build();
    }

    [SkippableFact]
    public async Task HandlerTakingAScopedService_GetsOneScopePerRun_DisposedWhenTheRunEnds()
    {
        coordinator.Require();
        using var host = Build(worker => worker
            .AddTask("hosting.scoped", (int x, RunProbe probe, ILogger<RunProbe> logger) =>
            {
                logger.LogDebug("Run {Id}", probe.Id);
                return probe.Disposed ? -1 : x * 1000 + probe.Id;
            })
            .AddTask("hosting.scoped_async", async (int x, RunProbe probe, CancellationToken cancellationToken) =>
            {
                await Task.Delay(1, cancellationToken);
                return probe.Disposed ? -1 : x * 1000 + probe.Id;
            }));
        await host.StartAsync().WithTimeout();
        var executor = host.Services.GetRequiredService<IClusterExecutor>();
        var counts = host.Services.GetRequiredService<ProbeCounts>();

        var futures = Enumerable.Range(1, 30).SelectMany(i => new[] { executor.Submit<int>("hosting.scoped", i), executor.Submit<int>("hosting.scoped_async", i) }).ToList();
        var results = await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout();

        // Each run had a probe of its own, alive while it ran.
        Assert.All(results, r => Assert.True(r > 0));
        Assert.Equal(60, results.Select(r => r % 1000).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 30).SelectMany(i => new[] { i, i }), results.Select(r => r / 1000));
        // Every run's scope ended before its result was sent.
        Assert.Equal(60, Volatile.Read(ref counts.Created));
        Assert.Equal(60, Volatile.Read(ref counts.Disposed));
        await host.StopAsync().WithTimeout();
    }

    [SkippableFact]
    public async Task TaskModule_IsMadeFromServices_AndEachRunUsesAnInstanceOfItsOwnScope()
    {
        coordinator.Require();
        using var host = Build(worker => worker.AddTaskModule<ProbeModule>());
        await host.StartAsync().WithTimeout();
        var executor = host.Services.GetRequiredService<IClusterExecutor>();
        var counts = host.Services.GetRequiredService<ProbeCounts>();
        // The instance the worker made at start to learn the module's handlers.
        Assert.Equal(1, Volatile.Read(ref counts.Created));

        var futures = Enumerable.Range(0, 20).SelectMany(i => new[] { executor.Submit<int>("hosting.module.probe", "t" + i), executor.Submit<int>("hosting.module.probe_async", "t" + i) }).ToList();
        var ids = await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout();

        Assert.DoesNotContain(1, ids);
        Assert.Equal(40, ids.Distinct().Count());
        Assert.Equal(41, Volatile.Read(ref counts.Created));
        Assert.Equal(40, Volatile.Read(ref counts.Disposed));
        await host.StopAsync().WithTimeout();
    }

    [SkippableFact]
    public async Task WorkerOptions_AreBoundFromConfiguration()
    {
        coordinator.Require();
        using var host = Build(worker => worker.AddTask("hosting.options", () => 1), new() { ["Cluster:Worker:DrainGrace"] = "00:00:07" });

        var options = host.Services.GetRequiredService<IOptions<WorkerOptions>>().Value;

        Assert.Equal([coordinator.Address], options.Coordinators);
        Assert.Equal(3, options.Threads);
        Assert.Equal(7, options.Coroutines);
        Assert.Equal(TimeSpan.FromSeconds(7), options.DrainGrace);
    }
}

public sealed class EmbeddedStoreWorkerHostingTests(EmbeddedHostingCoordinator coordinator)
    : WorkerHostingTests<EmbeddedHostingCoordinator>(coordinator), IClassFixture<EmbeddedHostingCoordinator>;

public sealed class RedisServerWorkerHostingTests(RedisHostingCoordinator coordinator)
    : WorkerHostingTests<RedisHostingCoordinator>(coordinator), IClassFixture<RedisHostingCoordinator>;
