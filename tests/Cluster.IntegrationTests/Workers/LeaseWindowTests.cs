using Cluster.Client;
using Cluster.IntegrationTests.Hosting;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Worker;

namespace Cluster.IntegrationTests.Workers;

/// <summary>
/// What a worker process leases ahead follows its tasks' run time: a backlog of long tasks is not
/// held by the worker that said hello first, so a worker that joins later takes its share. Two real
/// worker processes' code in this process, a real coordinator and store, real gRPC over loopback.
/// Runs once on each store.
/// </summary>
public abstract class LeaseWindowTests<TFixture>(TFixture coordinator) where TFixture : HostingCoordinator
{
    [SkippableFact]
    public async Task ABacklogOfLongTasks_IsSharedWithAWorkerThatJoinsAfterTheFirstHasStarted()
    {
        coordinator.Require();
        const string Name = "window.nap";
        const int Tasks = 24;
        TaskRegistry Registry(string who) => new TaskRegistry().Register(Name, (int ms) =>
        {
            Thread.Sleep(ms);
            return who;
        });
        using var stop = new CancellationTokenSource();
        // Two threads each, with the default prefetch: with ten ahead per thread, as before, the
        // first worker would lease all 24 at once and the second would get none.
        using var first = new WorkerProcess(new WorkerOptions { Coordinator = coordinator.Address, Threads = 2 }, Registry("first"));
        var firstRunning = first.RunAsync(stop.Token);
        using var second = new WorkerProcess(new WorkerOptions { Coordinator = coordinator.Address, Threads = 2 }, Registry("second"));
        Task? secondRunning = null;
        await using var executor = new ClusterExecutor(coordinator.Address.ToString());
        try
        {
            var futures = Enumerable.Range(0, Tasks).Select(_ => executor.Submit<string>(Name, 300)).ToList();
            // The first worker has leased and run a task before the second says hello.
            await Task.WhenAny(futures.Select(f => f.AsTask())).Unwrap().WithTimeout();
            secondRunning = second.RunAsync(stop.Token);

            var ran = await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout();

            Assert.Equal(Tasks, ran.Length);
            Assert.True(ran.Count(w => w == "second") >= 4, $"the second worker ran {ran.Count(w => w == "second")} of {Tasks} tasks");
        }
        finally
        {
            await stop.CancelAsync();
            await firstRunning.WithTimeout();
            if (secondRunning is not null)
            {
                await secondRunning.WithTimeout();
            }
        }
    }
}

public sealed class EmbeddedStoreLeaseWindowTests(EmbeddedHostingCoordinator coordinator)
    : LeaseWindowTests<EmbeddedHostingCoordinator>(coordinator), IClassFixture<EmbeddedHostingCoordinator>;

public sealed class RedisServerLeaseWindowTests(RedisHostingCoordinator coordinator)
    : LeaseWindowTests<RedisHostingCoordinator>(coordinator), IClassFixture<RedisHostingCoordinator>;
