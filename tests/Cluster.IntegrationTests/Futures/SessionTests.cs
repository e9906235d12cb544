using System.Text;
using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Google.Protobuf;

namespace Cluster.IntegrationTests.Futures;

/// <summary>
/// Many clients on one cluster: each executor is its own session, and a session's completion
/// stream carries the completions (and notices) of that session's tasks only.
/// </summary>
[Collection("futures")]
public sealed class SessionTests(EmbeddedCluster cluster)
{
    [Fact]
    public async Task EachExecutor_HasItsOwnSession_AndItsFutureIdsAreUniqueAndDoNotRevealIt()
    {
        await using var one = new FutureScope(cluster);
        await using var two = new FutureScope(cluster);

        var ones = Enumerable.Range(0, 100).Select(i => one.Executor.Submit<long>("add", i, 0)).ToList();
        var twos = Enumerable.Range(0, 100).Select(i => two.Executor.Submit<long>("add", i, 0)).ToList();

        Assert.NotEqual(one.Executor.SessionId, two.Executor.SessionId);
        // A task id travels to workers and logs: it names no session, whose completions it would open.
        Assert.All(ones, f => Assert.DoesNotContain(one.Executor.SessionId, f.Id, StringComparison.Ordinal));
        Assert.All(twos, f => Assert.DoesNotContain(two.Executor.SessionId, f.Id, StringComparison.Ordinal));
        Assert.All(ones, f => Assert.StartsWith(one.Executor.TaskIdPrefix + ".", f.Id, StringComparison.Ordinal));
        Assert.NotEqual(one.Executor.TaskIdPrefix, two.Executor.TaskIdPrefix);
        Assert.Equal(200, ones.Concat(twos).Select(f => f.Id).Distinct().Count());
        await Task.WhenAll(ones.Concat(twos).Select(f => f.AsTask())).WithTimeout();
    }

    [Fact]
    public async Task TwoExecutorsAtOnce_EachGetsItsOwnResults()
    {
        await using var one = new FutureScope(cluster);
        await using var two = new FutureScope(cluster);

        var work = await Task.WhenAll(
            Task.Run(() => Enumerable.Range(0, 300).Select(i => one.Executor.Submit<string>("echo", $"one-{i}")).ToList()),
            Task.Run(() => Enumerable.Range(0, 300).Select(i => two.Executor.Submit<string>("echo", $"two-{i}")).ToList())).WithTimeout();

        var ones = await Task.WhenAll(work[0].Select(f => f.AsTask())).WithTimeout();
        var twos = await Task.WhenAll(work[1].Select(f => f.AsTask())).WithTimeout();
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"one-{i}"), ones);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"two-{i}"), twos);
        Assert.Equal(0, one.Executor.PendingCount);
        Assert.Equal(0, two.Executor.PendingCount);
    }

    [Fact]
    public async Task ACompletionStream_CarriesOnlyItsOwnSessionsTasks()
    {
        // Two raw sessions and an executor submit at the same time; each stream is read whole.
        await using var scope = new FutureScope(cluster);
        var sessions = new[] { RawSession(), RawSession() };
        const int Count = 40;
        foreach (var session in sessions)
        {
            var request = new SubmitRequest { Session = session };
            for (var i = 0; i < Count; i++)
            {
                request.Tasks.Add(new TaskSpec { Id = $"{session}.{i}", Name = "add", Args = ByteString.CopyFrom(Encoding.UTF8.GetBytes($"[{i}, 1000]")) });
            }
            var reply = await cluster.Tasks.SubmitAsync(request).ResponseAsync.WithTimeout();
            Assert.Empty(reply.Rejected);
        }
        var mine = Enumerable.Range(0, Count).Select(i => scope.Executor.Submit<long>("add", i, 1)).ToList();

        foreach (var session in sessions)
        {
            using var stream = cluster.Tasks.Completions(new CompletionsRequest { Session = session });
            var results = new Dictionary<string, string>();
            while (results.Count < Count)
            {
                Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None).WithTimeout());
                var batch = stream.ResponseStream.Current;
                Assert.All(batch.Events, e => Assert.StartsWith(session + ".", e.TaskId, StringComparison.Ordinal));
                foreach (var completion in batch.Completions)
                {
                    Assert.StartsWith(session + ".", completion.TaskId, StringComparison.Ordinal);
                    results.Add(completion.TaskId, completion.Result.ToStringUtf8());
                }
            }
            Assert.Equal(Enumerable.Range(0, Count).Select(i => (1000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)), Enumerable.Range(0, Count).Select(i => results[$"{session}.{i}"]));
        }
        Assert.Equal(Enumerable.Range(1, Count).Select(i => (long)i), await Task.WhenAll(mine.Select(f => f.AsTask())).WithTimeout());
    }

    [Fact]
    public async Task ASession_CannotCancelAnotherSessionsTask()
    {
        await using var owner = new FutureScope(cluster);
        var pending = owner.Pending();
        await TaskTimeouts.Eventually(async () =>
        {
            var status = await cluster.Admin.StatusAsync(new StatusRequest());
            return status.Queues.Any(q => q.Name == pending.Name && q.Queued >= 1);
        }, $"{pending.Name} is queued");

        var reply = await cluster.Tasks.CancelAsync(new CancelRequest { Session = RawSession(), TaskIds = { pending.Id }, Interrupt = true }).ResponseAsync.WithTimeout();

        Assert.False(Assert.Single(reply.Cancelled));
        Assert.False(Assert.Single(reply.Interrupted));
        Assert.Equal(FutureState.Pending, pending.State);
        Assert.True(await pending.CancelAsync().WithTimeout());
    }

    [Fact]
    public async Task ShuttingDownOneExecutor_LeavesAnothersFuturesAlone()
    {
        await using var staying = new FutureScope(cluster);
        var gate = FutureScope.NewGate();
        var running = await staying.RunningUntilPutAsync(gate);
        var leaving = cluster.NewExecutor();
        Assert.Equal(2, await leaving.Submit<long>("add", 1, 1).WithTimeout());

        await leaving.DisposeAsync().AsTask().WithTimeout();

        Assert.Equal(FutureState.Running, running.State);
        await FutureScope.OpenGateAsync(staying.Executor, gate, 3);
        Assert.Equal(3, await running.WithTimeout());
        Assert.Equal(4, await staying.Executor.Submit<long>("add", 2, 2).WithTimeout());
    }

    private static string RawSession() => "raw" + Guid.NewGuid().ToString("N")[..12];
}
