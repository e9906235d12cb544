using System.Text;
using Cluster.Client;
using Cluster.Contracts;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Cluster.IntegrationTests;

/// <summary>
/// A master of a Redis Cluster killed with SIGKILL while tasks run, its replica lagging behind it:
/// the replica takes over without the master's last writes, as Redis Cluster's asynchronous
/// replication allows. The replica is cut off its master's replication stream for a moment before the
/// kill, so that window is certain rather than left to chance: completions, leases and submits the master acknowledged
/// in it are gone from the promoted replica.
/// Asserted: every task submitted before the window and every task submitted after the failover
/// resolves, with its right result, and no task stays leased to a worker that does not run it.
/// Counted on the wire and printed: what the window lost (tasks acknowledged in it whose future
/// never resolved or failed) and what ran twice.
/// </summary>
public sealed class RedisClusterFailoverTests(RedisClusterFailoverCluster cluster, ITestOutputHelper output) : IClassFixture<RedisClusterFailoverCluster>
{
    private const int Before = 3000;
    private const int InWindow = 100;
    private const int DoneInWindow = 50;
    private const int After = 300;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    [SkippableFact]
    public async Task MasterKilledWhileItsReplicaLags_ReplicaTakesOver_EveryTaskSubmittedOutsideTheLostWindowResolvesRight()
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
        // 3,000 × spin(50 ms) on 2 worker processes of 10 threads: some 7.5 s of work, so the backlog
        // outlasts the wait for the replica below and tasks are still finishing while it is cut off.
        var before = Enumerable.Range(0, Before).Select(_ => executor.Submit<int>("spin", 50)).ToList();
        await TaskTimeouts.Eventually(() => Task.FromResult(before.Count(f => f.Done) >= Before / 10), "a tenth of the first tasks are done");

        var master = await redis.MasterOfAsync("{cluster}");
        var replica = await redis.ReplicaOfAsync(master);
        var inWindow = Enumerable.Range(0, InWindow).Select(i => $"window-{executor.SessionId}.{i}").ToList();
        // The first tasks are all stored, and the replica has them: only the window is to be lost.
        await TaskTimeouts.Eventually(() => Task.FromResult(before.All(f => f.Accepted || f.Done)), "the first tasks are all stored");
        await redis.WaitForReplicaAsync(master, replica, TimeSpan.FromSeconds(60));
        // From here the replica takes nothing from its master: whatever the master acknowledges
        // until it is killed is lost in the failover.
        await redis.CutReplicationAsync(replica);
        var doneAtCut = before.Count(f => f.Done);
        Assert.True(Before - doneAtCut >= 2 * DoneInWindow, $"the backlog drained before the replica was cut off ({doneAtCut} of {Before} done): the window cannot be observed");
        // Acknowledged by the master (the call returns once the tasks are in it), queued behind the backlog.
        var reply = await cluster.Tasks.SubmitAsync(new SubmitRequest
        {
            Session = executor.SessionId,
            Tasks = { inWindow.Select(id => new TaskSpec { Id = id, Name = "spin", Args = ByteString.CopyFrom("[50]", Encoding.UTF8) }) },
        }).ResponseAsync.WithTimeout();
        Assert.Empty(reply.Rejected);
        // Completions the master wrote (and the client received) that the replica never had.
        await TaskTimeouts.Eventually(() => Task.FromResult(before.Count(f => f.Done) >= doneAtCut + DoneInWindow), $"{DoneInWindow} more tasks are done");
        var doneAtKill = before.Count(f => f.Done);
        var behind = await redis.ReplicationOffsetAsync(master) - await redis.ReplicationOffsetAsync(replica);
        Assert.True(behind > 0, "the master acknowledged writes its replica does not have");
        await redis.KillAsync(master);
        output.WriteLine($"cut replica {replica} off with {doneAtCut} of the {Before} first tasks done; {InWindow} more submitted and acknowledged; killed master {master} with {doneAtKill} done, its replica {behind} bytes behind");
        await redis.WaitUntilOkAsync(TimeSpan.FromSeconds(60));
        var promoted = await redis.MasterOfAsync("{cluster}");
        Assert.Equal(replica.Port, promoted.Port);
        output.WriteLine($"the slot is now served by {promoted}; cluster_state:ok on every live node");

        // The cluster goes on: every task submitted after the failover resolves once, right.
        var after = Enumerable.Range(0, After).Select(i => executor.Submit<long>("add", i, 1L)).ToList();
        try
        {
            var results = await Task.WhenAll(after.Select(f => f.AsTask())).WithTimeout(Bound);
            Assert.Equal(Enumerable.Range(0, After).Select(i => i + 1L), results);
            // Nothing the replica had is lost: every task submitted before the window resolves, right.
            await Task.WhenAll(before.Select(f => f.WhenDone())).WithTimeout(Bound);
        }
        catch (TimeoutException)
        {
            output.WriteLine($"done: {before.Count(f => f.Done)} of the {Before} first, {after.Count(f => f.Done)} of the {After} after; coordinator log tail:{Environment.NewLine}{cluster.Output[^Math.Min(cluster.Output.Length, 6000)..]}");
            throw;
        }
        Assert.All(before, f => Assert.Equal(50, f.Result(TimeSpan.Zero)));
        // A task whose completion the replica lost (the client had it) is still leased to its worker
        // in the store: the coordinator puts it back, and it runs again.
        await TaskTimeouts.Eventually(async () =>
        {
            var status = await cluster.Admin.StatusAsync(new StatusRequest());
            return status.Workers.Sum(w => w.Leased) == 0 && status.Queues.Sum(q => q.Queued) == 0;
        }, "no task is leased or queued", Bound);

        var (wire, runs) = ReadTrace([.. before.Select(f => f.Id), .. inWindow, .. after.Select(f => f.Id)]);
        var lost = inWindow.Count(id => !wire.ContainsKey(id));
        output.WriteLine($"lost in the failover: {lost} of the {InWindow} tasks acknowledged while the replica lagged never resolved (the promoted replica never had them)");
        output.WriteLine($"before the window: {Before} submitted, {Before} resolved right, 0 failed, 0 unresolved");
        output.WriteLine($"after the failover: {After} submitted, {After} resolved right");
        output.WriteLine($"tasks that began more than one run: {runs.Count(r => r.Value > 1)}; completions received twice on the wire: {wire.Count(w => w.Value > 1)} (each resolved its future once)");
    }

    /// <summary>Completions read off the stream and runs begun on the workers, by task id, for these tasks.</summary>
    private (Dictionary<string, int> Wire, Dictionary<string, int> Runs) ReadTrace(HashSet<string> ids)
    {
        var marks = HopMarks.Read(cluster.TraceDirectory).Where(m => ids.Contains(m.TaskId)).ToList();
        return (Count("client.completed"), Count("worker.started"));

        Dictionary<string, int> Count(string point) =>
            marks.Where(m => m.Point == point).GroupBy(m => m.TaskId).ToDictionary(g => g.Key, g => g.Count());
    }
}
