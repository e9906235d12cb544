using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;

namespace Cluster.IntegrationTests.Workers;

/// <summary>
/// The store goes away while tasks run (its process is stopped with SIGSTOP until the coordinator
/// has seen its calls fail, then resumed): no task is charged for it. Only on redis-server: the
/// embedded store lives inside the coordinator's own process, where no fault can be injected
/// without stopping the coordinator itself.
/// </summary>
public sealed class StoreOutageTests(StoreOutageCluster cluster) : IClassFixture<StoreOutageCluster>
{
    [SkippableFact]
    public async Task StorePausedWhileTasksRun_EveryTaskCompletesOnItsFirstAttempt_NoneChargedOrDeadLettered()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        var futures = Enumerable.Range(0, 600).Select(_ => executor.Submit<int>("hang", 100)).ToList();
        // Some have finished, others run or wait in their queues.
        await TaskTimeouts.Eventually(() => Task.FromResult(futures.Count(f => f.Done) >= 20), "tasks are running");

        ChildProcess.Signal(cluster.RedisProcessId, ChildProcess.SigStop);
        try
        {
            await TaskTimeouts.Eventually(() => Task.FromResult(cluster.Output.Contains("The task store failed to", StringComparison.Ordinal)), "the coordinator sees store calls fail");
        }
        finally
        {
            ChildProcess.Signal(cluster.RedisProcessId, ChildProcess.SigCont);
        }

        var results = await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout();
        Assert.All(results, r => Assert.Equal(100, r));
        Assert.All(futures, f => Assert.Equal(1, f.Attempt));
        var letters = await cluster.Admin.DeadLettersAsync(new DeadLettersRequest()).ResponseAsync.WithTimeout();
        Assert.Equal(0, letters.Total);
    }
}
