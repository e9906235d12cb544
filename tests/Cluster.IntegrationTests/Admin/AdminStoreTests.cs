using System.Text;
using Cluster.Coordinator;
using Cluster.Coordinator.Internal.Store;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Cluster.IntegrationTests.Administration;

/// <summary>
/// The admin side of the store on the real stores: dead letters paged from their index and expired
/// after their retention, tombstones counted out of the queues, the orphaned-lease sweep one page
/// at a time. One store per class; a key prefix per test.
/// </summary>
public abstract class AdminStoreTests<TFixture>(TFixture fixture) where TFixture : StoreFixture
{
    private readonly IConnectionMultiplexer? _redis = fixture.Missing is null ? fixture.Redis : null;

    private void Require() => Requirements.Require(fixture.Missing);

    [SkippableFact]
    public async Task DeadLetters_AreListedPageByPage_OldestFirst_FromTheirIndex()
    {
        Require();
        var store = NewStore();
        await DeadLetterAsync(store, "d", 5);

        var pages = new List<List<string>>();
        for (var page = 0; page < 3; page++)
        {
            var reply = await store.DeadLettersAsync(new DeadLettersRequest { Limit = 2, Page = page });
            Assert.Equal(5, reply.Total);
            pages.Add([.. reply.Letters.Select(l => l.TaskId)]);
        }

        Assert.Equal([["d.0", "d.1"], ["d.2", "d.3"], ["d.4"]], pages);
        // Only the index is read for a page: a letter missing from it is not listed.
        await _redis!.GetDatabase().SortedSetRemoveAsync(store.Keys.DeadLetterIndex, "d.0");
        Assert.Equal(["d.1", "d.2"], (await store.DeadLettersAsync(new DeadLettersRequest { Limit = 2 })).Letters.Select(l => l.TaskId));
    }

    [SkippableFact]
    public async Task DeadLetters_PastTheirRetention_AreDropped_ABoundedNumberAPass()
    {
        Require();
        var store = NewStore(new CoordinatorOptions { DeadLetterRetention = TimeSpan.FromSeconds(5) });
        await DeadLetterAsync(store, "e", 3);
        var db = _redis!.GetDatabase();

        // Within the retention nothing goes; past it, at most the number asked for a call.
        Assert.Equal(0, await store.ExpireDeadLettersAsync(2));
        var dropped = new List<int>();
        await TaskTimeouts.Eventually(async () =>
        {
            dropped.Add(await store.ExpireDeadLettersAsync(2));
            return dropped.Sum() == 3;
        }, "the three letters are past their retention and dropped");
        Assert.All(dropped, n => Assert.InRange(n, 0, 2));

        Assert.Equal(0, await db.HashLengthAsync(store.Keys.DeadLetters));
        Assert.Equal(0, await db.SortedSetLengthAsync(store.Keys.DeadLetterIndex));
        Assert.Equal(0, (await store.DeadLettersAsync(new DeadLettersRequest())).Total);
    }

    [SkippableFact]
    public async Task DeadLetters_RequeueAndPurge_KeepTheIndexInStep()
    {
        Require();
        var store = NewStore();
        await DeadLetterAsync(store, "p", 3);
        var db = _redis!.GetDatabase();

        Assert.Equal(1, (await store.DeadLettersAsync(new DeadLettersRequest { Requeue = "p.1" })).Requeued);
        Assert.Equal(["p.0", "p.2"], (await store.DeadLettersAsync(new DeadLettersRequest())).Letters.Select(l => l.TaskId));
        Assert.Equal(2, await db.SortedSetLengthAsync(store.Keys.DeadLetterIndex));

        Assert.Equal(2, (await store.DeadLettersAsync(new DeadLettersRequest { Purge = true })).Purged);
        Assert.False(await db.KeyExistsAsync(store.Keys.DeadLetters));
        Assert.False(await db.KeyExistsAsync(store.Keys.DeadLetterIndex));
    }

    [SkippableFact]
    public async Task CancelledQueuedTasks_AreNotCountedAsQueued_AndLeasingThemAwayClearsTheCount()
    {
        Require();
        var store = NewStore();
        await store.SubmitAsync("c", [.. Enumerable.Range(0, 5).Select(i => Spec($"c.{i}", "echo", "[1]"))]);
        var (cancelled, _) = await store.CancelAsync("c", ["c.0", "c.2", "c.4"], interrupt: false);
        Assert.All(cancelled, Assert.True);
        Assert.Equal(2, await QueuedAsync(store, "echo"));

        await store.RegisterAsync("w", "w", Hello("w"));
        Assert.Equal(["c.1", "c.3"], (await store.LeaseAsync("w", "w", ["echo"], 10, 0)).Tasks.Select(a => a.TaskId));

        Assert.Equal(0, await QueuedAsync(store, "echo"));
        // Every tombstone was skipped, and each un-counted as it went.
        var count = await _redis!.GetDatabase().HashGetAsync(store.Keys.NamePolicies, (string)store.Keys.Queue("echo")!);
        Assert.Equal(0, (long)count);
    }

    [SkippableFact]
    public async Task Sweep_ReadsOnePageAStep_AndStillFindsAnOrphanedLease()
    {
        Require();
        var store = NewStore();
        await store.SubmitAsync("w", [.. Enumerable.Range(0, 3000).Select(i => Spec($"w.{i}", "echo", "[1]"))]);
        await store.RegisterAsync("gone", "gone", Hello("gone"));
        Assert.Single((await store.LeaseAsync("gone", "gone", ["echo"], 1, 0)).Tasks);
        // A lease with no trace of its worker, as a store restored from an inconsistent point can hold.
        var db = _redis!.GetDatabase();
        await db.KeyDeleteAsync(store.Keys.Leased("gone"));
        await db.SortedSetRemoveAsync(store.Keys.Workers, "gone");

        var (swept, cursor) = await store.SweepOrphanedLeasesAsync(0, pageSize: 100);
        var steps = 1;
        while (cursor != 0)
        {
            var step = await store.SweepOrphanedLeasesAsync(cursor, pageSize: 100);
            swept += step.Swept;
            cursor = step.Next;
            steps++;
        }

        Assert.Equal(1, swept);
        // A step read about one page, not the whole hash of 3,000 tasks.
        Assert.InRange(steps, 10, 3000);
        await store.RegisterAsync("w2", "w2", Hello("w2"));
        Assert.Equal(("w.0", 2), (await store.LeaseAsync("w2", "w2", ["echo"], 1, 0)).Tasks.Select(a => (a.TaskId, a.Attempt)).Single());
    }

    private TaskStore NewStore(CoordinatorOptions? options = null) =>
        new(_redis!, new Keys("a" + Guid.NewGuid().ToString("N")[..8]), options ?? new CoordinatorOptions());

    private static async Task<long> QueuedAsync(TaskStore store, string name) =>
        (await store.StatusAsync()).Queues.Single(q => q.Name == name).Queued;

    /// <summary>Dead-letters <paramref name="count"/> tasks, one after another: ids prefix.0, prefix.1, ...</summary>
    private static async Task DeadLetterAsync(TaskStore store, string prefix, int count)
    {
        await store.RegisterAsync("w", "w", Hello("w"));
        for (var i = 0; i < count; i++)
        {
            var spec = Spec($"{prefix}.{i}", "echo", "[1]");
            spec.Policy = new RetryPolicy { MaxAttempts = 1, RetryOn = { "*" } };
            await store.SubmitAsync(prefix, [spec]);
            var lease = Assert.Single((await store.LeaseAsync("w", "w", ["echo"], 1, 0)).Tasks);
            var failure = new TaskResult { TaskId = lease.TaskId, Session = prefix, Attempt = lease.Attempt, Error = new TaskError { Type = "System.IO.IOException", Message = "disk", Attempt = lease.Attempt } };
            // Letters written in the same millisecond tie on time, and then come in id order.
            Assert.Equal(1, (await store.CompleteAsync("w", [failure])).DeadLettered);
        }
    }

    private static TaskSpec Spec(string id, string name, string json) =>
        new() { Id = id, Name = name, Args = ByteString.CopyFrom(Encoding.UTF8.GetBytes(json)) };

    private static Hello Hello(string worker) =>
        new() { WorkerId = worker, Host = "test", ProcessId = 1, Handlers = { new HandlerInfo { Name = "echo", Kind = ExecutionKind.ThreadPool } } };
}

public sealed class EmbeddedStoreAdminStoreTests(EmbeddedStoreFixture fixture) : AdminStoreTests<EmbeddedStoreFixture>(fixture), IClassFixture<EmbeddedStoreFixture>;

public sealed class RedisServerAdminStoreTests(RedisStoreFixture fixture) : AdminStoreTests<RedisStoreFixture>(fixture), IClassFixture<RedisStoreFixture>;

public sealed class RedisClusterAdminStoreTests(RedisClusterStoreFixture fixture) : AdminStoreTests<RedisClusterStoreFixture>(fixture), IClassFixture<RedisClusterStoreFixture>;
