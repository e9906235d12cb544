using System.Text;
using Cluster.Client;
using Cluster.IntegrationTests.Futures;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Google.Protobuf;

namespace Cluster.IntegrationTests.Client;

/// <summary>
/// A task name's queue at the coordinator's limit (--max-queued): the coordinator refuses more with
/// ResourceExhausted, and the executor, as told by WhenQueueFull, fails the future or waits for room.
/// The queue is filled with tasks of a name no worker handles, so they stay queued.
/// </summary>
public abstract class QueueLimitTests<TFixture>(TFixture cluster) where TFixture : QueueLimitedCluster
{
    private const int QueueFullEvent = 404;

    protected TFixture Cluster { get; } = cluster;

    [SkippableFact]
    public async Task Submit_FailsWithResourceExhausted_NamingTheLimit_WhenItsQueueIsFull()
    {
        Cluster.Require();
        await using var queued = await FillQueueAsync();
        await using var scope = new FutureScope(Cluster);

        var refused = scope.Hold(scope.Executor.Submit<int>(queued.Name));

        var error = await Assert.ThrowsAsync<TaskRejectedException>(() => refused.WithTimeout(TimeSpan.FromSeconds(30)));
        Assert.Equal("ResourceExhausted", error.Code);
        Assert.Contains($"queue '{queued.Name}' holds {QueueLimitedCluster.Limit} tasks; the limit is {QueueLimitedCluster.Limit}", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Submit_WaitsPending_WhenItsQueueIsFull_AndIsAcceptedOnceACancelMakesRoom()
    {
        Cluster.Require();
        await using var queued = await FillQueueAsync();

        var (scope, waiting) = await SubmitToTheFullQueueAsync(queued.Name);

        await using var _ = scope;
        Assert.Equal(FutureState.Pending, waiting.State);

        // Cancelling a queued task makes room: the waiting one is sent again and stored.
        Assert.True(await queued.CancelOneAsync());
        await TaskTimeouts.Eventually(async () => await CancelStoredAsync(scope.Executor.SessionId, waiting.Id), "the waiting task is stored (a cancel by id finds it)");
        await waiting.WhenDone().WithTimeout();
        Assert.True(waiting.Cancelled);
    }

    [SkippableFact]
    public async Task SubmitWaitingForRoom_IsCancelled_WithoutEverBeingStored()
    {
        Cluster.Require();
        await using var queued = await FillQueueAsync();
        var (scope, waiting) = await SubmitToTheFullQueueAsync(queued.Name);
        await using var _ = scope;

        Assert.True(await waiting.CancelAsync().WithTimeout());

        Assert.Equal(FutureState.Cancelled, waiting.State);
        // Room again: a task withdrawn here is not sent.
        Assert.True(await queued.CancelOneAsync());
        Assert.False(await CancelStoredAsync(scope.Executor.SessionId, waiting.Id));
    }

    /// <summary>An executor that waits for room, and its submit of a task of <paramref name="name"/> once the coordinator has refused it for a full queue.</summary>
    private async Task<(FutureScope Scope, ClusterFuture<int> Waiting)> SubmitToTheFullQueueAsync(string name)
    {
        var logs = new LogCollector();
        var scope = new FutureScope(Cluster, new ClusterExecutorOptions { WhenQueueFull = QueueFullBehavior.Wait, LoggerFactory = logs });
        var waiting = scope.Hold(scope.Executor.Submit<int>(name));
        try
        {
            await TaskTimeouts.Eventually(() => Task.FromResult(logs.Entries.Any(e => e.Id.Id == QueueFullEvent)), "the coordinator has refused the task for a full queue");
        }
        catch
        {
            await scope.DisposeAsync();
            throw;
        }
        return (scope, waiting);
    }

    /// <summary>Cancels task <paramref name="id"/> at the coordinator: true only if it was stored (and queued).</summary>
    private async Task<bool> CancelStoredAsync(string session, string id)
    {
        var reply = await Cluster.Tasks.CancelAsync(new CancelRequest { Session = session, TaskIds = { id } }).ResponseAsync.WithTimeout();
        return reply.Cancelled.Count == 1 && reply.Cancelled[0];
    }

    /// <summary>Stores as many tasks of a new name no worker handles as its queue may hold, from a session of their own.</summary>
    private async Task<QueuedTasks> FillQueueAsync()
    {
        var name = FutureScope.UnhandledName();
        var session = Guid.NewGuid().ToString("N")[..16];
        var request = new SubmitRequest { Session = session };
        for (var i = 0; i < QueueLimitedCluster.Limit; i++)
        {
            request.Tasks.Add(new TaskSpec { Id = $"{session}.{i}", Name = name, Args = ByteString.CopyFrom(Encoding.UTF8.GetBytes("[]")) });
        }
        var reply = await Cluster.Tasks.SubmitAsync(request).ResponseAsync.WithTimeout();
        Assert.Empty(reply.Rejected);
        return new QueuedTasks(this, name, session, [.. request.Tasks.Select(t => t.Id)]);
    }

    /// <summary>The tasks that fill a queue; those left are cancelled at the end of the test.</summary>
    private sealed class QueuedTasks(QueueLimitTests<TFixture> tests, string name, string session, List<string> ids) : IAsyncDisposable
    {
        public string Name { get; } = name;

        public async Task<bool> CancelOneAsync()
        {
            var id = ids[^1];
            ids.RemoveAt(ids.Count - 1);
            return await tests.CancelStoredAsync(session, id);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var id in ids)
            {
                await tests.CancelStoredAsync(session, id);
            }
        }
    }
}

public sealed class EmbeddedStoreQueueLimitTests(EmbeddedQueueLimitedCluster cluster) : QueueLimitTests<EmbeddedQueueLimitedCluster>(cluster), IClassFixture<EmbeddedQueueLimitedCluster>;

public sealed class RedisServerQueueLimitTests(RedisQueueLimitedCluster cluster) : QueueLimitTests<RedisQueueLimitedCluster>(cluster), IClassFixture<RedisQueueLimitedCluster>;
