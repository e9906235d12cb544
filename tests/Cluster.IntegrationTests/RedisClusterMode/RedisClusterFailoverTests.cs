using Cluster.Client;
using Cluster.Contracts;
using Cluster.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Cluster.IntegrationTests;

/// <summary>
/// A master of a Redis Cluster killed with SIGKILL while tasks run: its replica takes over and the
/// cluster goes on. What is asserted is what Redis Cluster guarantees: every task submitted once
/// the cluster is ok again resolves, with its right result. What happened to the tasks in flight
/// at the kill is counted on the wire and reported, not asserted: Redis Cluster replicates
/// asynchronously, so writes acknowledged in the last moments before the kill may be gone from
/// the promoted replica (a submit, a lease, a completion), and such a task may resolve late, run
/// twice, or never resolve.
/// </summary>
public sealed class RedisClusterFailoverTests(RedisClusterFailoverCluster cluster, ITestOutputHelper output) : IClassFixture<RedisClusterFailoverCluster>
{
    private const int Before = 1000;
    private const int After = 300;

    [SkippableFact]
    public async Task MasterOfTheStoresSlot_KilledWhileTasksRun_ItsReplicaTakesOver_AndEveryTaskSubmittedAfterwardCompletes()
    {
        cluster.Require();
        var redis = cluster.RedisClusterServer!;
        // This process traces the completions it reads off the wire, before the SDK drops a duplicate.
        HopTrace.Start(cluster.TraceDirectory);
        try
        {
            var executor = cluster.NewExecutor();
            try
            {
                await RunAsync(redis, executor);
            }
            finally
            {
                await executor.ShutdownAsync(wait: false, cancelFutures: true).WithTimeout();
            }
        }
        finally
        {
            HopTrace.Stop();
        }
    }

    private async Task RunAsync(RedisClusterServer redis, ClusterExecutor executor)
    {
        // In flight at the kill: 1,000 × spin(50 ms) on 2 worker processes of 10 threads, some 2.5 s of work.
        var before = Enumerable.Range(0, Before).Select(_ => executor.Submit<int>("spin", 50)).ToList();
        await TaskTimeouts.Eventually(() => Task.FromResult(before.Count(f => f.Done) >= Before / 10), "a tenth of the first tasks are done");

        var doneAtKill = before.Count(f => f.Done);
        var victim = await redis.KillMasterAsync("{cluster}");
        output.WriteLine($"killed master {victim} holding the slot of {{cluster}}, {doneAtKill} of the {Before} first tasks done");
        await redis.WaitUntilOkAsync(TimeSpan.FromSeconds(60));
        var promoted = await redis.MasterOfAsync("{cluster}");
        Assert.NotEqual(victim.Port, promoted.Port);
        output.WriteLine($"the slot is now served by {promoted}; cluster_state:ok on every live node");

        // Guaranteed: the cluster goes on. Every task submitted after the failover resolves once, right.
        var after = Enumerable.Range(0, After).Select(i => executor.Submit<long>("add", i, 1L)).ToList();
        var results = await Task.WhenAll(after.Select(f => f.AsTask())).WithTimeout(TimeSpan.FromSeconds(120));
        Assert.Equal(Enumerable.Range(0, After).Select(i => i + 1L), results);

        // Reported: what became of the tasks in flight at the kill, given a bounded wait.
        try
        {
            await Task.WhenAll(before.Select(f => f.WhenDone())).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
        }
        var (wire, runs) = ReadTrace(executor.SessionId);
        var right = before.Count(f => f.Done && !f.Cancelled && f.GetException(TimeSpan.Zero) is null && f.Result(TimeSpan.Zero) == 50);
        var failed = before.Where(f => f.Done && (f.Cancelled || f.GetException(TimeSpan.Zero) is not null)).ToList();
        var unresolved = before.Count(f => !f.Done);
        output.WriteLine($"before the failover: {Before} submitted, {right} resolved right, {failed.Count} failed, {unresolved} never resolved (30 s after)");
        foreach (var group in failed.GroupBy(f => f.Cancelled ? "cancelled" : f.GetException(TimeSpan.Zero)!.GetType().Name))
        {
            output.WriteLine($"  failed with {group.Key}: {group.Count()}");
        }
        output.WriteLine($"completions received twice on the wire: {wire.Count(w => w.Value > 1)} (before the failover: {before.Count(f => wire.GetValueOrDefault(f.Id) > 1)}, after: {after.Count(f => wire.GetValueOrDefault(f.Id) > 1)})");
        output.WriteLine($"tasks that began more than one run: {runs.Count(r => r.Value > 1)}");
        output.WriteLine($"after the failover: {After} submitted, {After} resolved right");
    }

    /// <summary>Completions read off the stream and runs begun on the workers, by task id, for one session's tasks.</summary>
    private (Dictionary<string, int> Wire, Dictionary<string, int> Runs) ReadTrace(string session)
    {
        var marks = HopMarks.Read(cluster.TraceDirectory).Where(m => m.TaskId.StartsWith(session + ".", StringComparison.Ordinal)).ToList();
        return (Count("client.completed"), Count("worker.started"));

        Dictionary<string, int> Count(string point) =>
            marks.Where(m => m.Point == point).GroupBy(m => m.TaskId).ToDictionary(g => g.Key, g => g.Count());
    }
}
