using System.Text;
using Cluster.Coordinator;
using Cluster.Coordinator.Internal;
using Cluster.Coordinator.Internal.Store;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Cluster.IntegrationTests;

/// <summary>
/// The task state machine, script by script, on the real stores: durability at submit, fencing by
/// attempt, requeue of a vanished worker's leases, cancel of queued tasks only.
/// </summary>
public abstract class StoreTests : IAsyncLifetime
{
    private IConnectionMultiplexer? _redis;

    private protected TaskStore Store { get; private set; } = null!;

    private protected IConnectionMultiplexer Redis => _redis!;

    protected abstract Task<string?> StartStoreAsync();

    protected abstract Task StopStoreAsync();

    /// <summary>Connects as the coordinator does to this store.</summary>
    protected virtual void Configure(ConfigurationOptions connection)
    {
    }

    public async Task InitializeAsync()
    {
        var configuration = await StartStoreAsync();
        if (configuration is null)
        {
            return;
        }
        var connection = ConfigurationOptions.Parse(configuration);
        Configure(connection);
        _redis = await ConnectionMultiplexer.ConnectAsync(connection);
        var options = new CoordinatorOptions();
        // A prefix per test class instance: tests may share one server. The default layout: one
        // shard on a single server, several per master on Redis Cluster.
        var layout = await ShardLayout.OpenAsync(_redis, "t" + Guid.NewGuid().ToString("N")[..8], 0);
        Store = new TaskStore(_redis, layout, options);
    }

    public async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
        await StopStoreAsync();
    }

    protected abstract void Require();

    [SkippableFact]
    public async Task ResultOfAStaleAttempt_IsDropped_AndTheTaskResolvesOnce()
    {
        Require();
        await Store.SubmitAsync("s1", [Spec("s1.1", "add", "[1,2]")]);
        await Store.RegisterAsync("wa", "wa", Hello("wa"));
        await Store.RegisterAsync("wb", "wb", Hello("wb"));
        var first = Assert.Single((await Store.LeaseAsync("wa", "wa", ["add"], 10, 0)).Tasks);
        Assert.Equal(1, first.Attempt);

        // Worker A vanishes; its lease goes back to the queue and B takes the task as attempt 2.
        Assert.Equal((1, 0), await Store.RequeueAsync("wa", gone: true));
        var second = Assert.Single((await Store.LeaseAsync("wb", "wb", ["add"], 10, 0)).Tasks);
        Assert.Equal(2, second.Attempt);

        Assert.Equal(new CompleteOutcome(0, 1, 0, 0), await Store.CompleteAsync("wa", [Result("s1.1", "s1", 1, "3")]));
        Assert.Equal(new CompleteOutcome(1, 0, 0, 0), await Store.CompleteAsync("wb", [Result("s1.1", "s1", 2, "3")]));
        Assert.Equal(new CompleteOutcome(0, 1, 0, 0), await Store.CompleteAsync("wb", [Result("s1.1", "s1", 2, "3")]));

        var completion = Assert.Single(await Store.ReadCompletionsAsync("s1", 0, 100));
        Assert.Equal(("s1.1", 2, "3"), (completion.TaskId, completion.Attempt, completion.Result.ToStringUtf8()));
    }

    [SkippableFact]
    public async Task LeaseWhoseReplyWasLost_GoesBackUnsent_WithoutALostRunOrAnAttempt()
    {
        Require();
        await Store.SubmitAsync("s20", [Spec("s20.1", "echo", "[1]"), Spec("s20.2", "echo", "[2]")]);
        await Store.RegisterAsync("wa", "ta", Hello("wa"));
        var sent = Assert.Single((await Store.LeaseAsync("wa", "ta", ["echo"], 1, 0)).Tasks);
        // Leased in the store, but its reply never reached the coordinator: never sent to the worker.
        Assert.Single((await Store.LeaseAsync("wa", "ta", ["echo"], 1, 0)).Tasks);

        Assert.Equal(1, await Store.ReclaimUnsentAsync("wa", ["add", "echo"], new HashSet<string> { sent.TaskId }));
        Assert.Equal(0, await Store.ReclaimUnsentAsync("wa", ["add", "echo"], new HashSet<string> { sent.TaskId }));

        var again = Assert.Single((await Store.LeaseAsync("wa", "ta", ["echo"], 10, 0)).Tasks);
        Assert.Equal(("s20.2", 1), (again.TaskId, again.Attempt));
        Assert.Equal(new CompleteOutcome(2, 0, 0, 0), await Store.CompleteAsync("wa", [Result("s20.1", "s20", 1, "1"), Result("s20.2", "s20", 1, "2")]));
        Assert.All(await Store.ReadCompletionsAsync("s20", 0, 100), c => Assert.Empty(c.Attempts));
    }

    [SkippableFact]
    public async Task SecondRegistrationOfALiveWorkerId_IsRefused_AndOnlyItsOwnConnectionRemovesIt()
    {
        Require();
        await Store.SubmitAsync("s21", [Spec("s21.1", "echo", "[1]")]);
        Assert.True(await Store.RegisterAsync("wa", "ta", Hello("wa")));
        Assert.False(await Store.RegisterAsync("wa", "tb", Hello("wa")));
        Assert.Single((await Store.LeaseAsync("wa", "ta", ["echo"], 10, 0)).Tasks);

        Assert.Equal((-1, 0), await Store.RequeueAsync("wa", gone: true, token: "tb"));
        Assert.False(await Store.HeartbeatAsync("wa", "tb"));
        Assert.True(await Store.HeartbeatAsync("wa", "ta"));
        Assert.Equal(new CompleteOutcome(1, 0, 0, 0), await Store.CompleteAsync("wa", [Result("s21.1", "s21", 1, "1")]));

        Assert.Equal((0, 0), await Store.RequeueAsync("wa", gone: true, token: "ta"));
        Assert.False(await Store.HeartbeatAsync("wa", "ta", renew: false));
        Assert.True(await Store.RegisterAsync("wa", "tb", Hello("wa")));
    }

    [SkippableFact]
    public async Task Lease_StopsAtItsByteBound_AndPutsTheRestBackAtTheHeadOfTheQueueInOrder()
    {
        Require();
        var big = "[\"" + new string('x', 1_500_000) + "\"]";
        await Store.SubmitAsync("s22", [.. Enumerable.Range(1, 5).Select(i => Spec(Id("s22", i), "echo", big))]);
        await Store.RegisterAsync("wa", "ta", Hello("wa"));

        var first = await Store.LeaseAsync("wa", "ta", ["echo"], 10, 0);
        var second = await Store.LeaseAsync("wa", "ta", ["echo"], 10, 0);
        var third = await Store.LeaseAsync("wa", "ta", ["echo"], 10, 0);

        Assert.Equal([Id("s22", 1), Id("s22", 2)], first.Tasks.Select(a => a.TaskId));
        Assert.True(first.More);
        Assert.Equal([Id("s22", 3), Id("s22", 4)], second.Tasks.Select(a => a.TaskId));
        Assert.True(second.More);
        Assert.Equal([Id("s22", 5)], third.Tasks.Select(a => a.TaskId));
        Assert.False(third.More);
    }

    [SkippableFact]
    public async Task Lease_OfManyTasks_GivesEachItsOwnArguments_InOrder_PastCancelledOnes()
    {
        Require();
        // More tasks than one read of arguments takes, with cancelled ones left in the queue among them.
        await Store.SubmitAsync("s23", [.. Enumerable.Range(1, 40).Select(i => Spec(Id("s23", i), "echo", $"[{i}]"))]);
        int[] cancelled = [1, 16, 17, 33, 40];
        Assert.All((await Store.CancelAsync("s23", [.. cancelled.Select(i => Id("s23", i))], interrupt: false)).Cancelled, Assert.True);
        await Store.RegisterAsync("wa", "ta", Hello("wa"));

        var leased = await Store.LeaseAsync("wa", "ta", ["echo"], 40, 0);

        var expected = Enumerable.Range(1, 40).Except(cancelled).ToList();
        Assert.Equal(expected.Select(i => Id("s23", i)), leased.Tasks.Select(a => a.TaskId));
        Assert.Equal(expected.Select(i => $"[{i}]"), leased.Tasks.Select(a => a.Args.ToStringUtf8()));
        Assert.False(leased.More);
    }

    [SkippableFact]
    public async Task ResultFromAWorkerThatDoesNotHoldTheLease_IsDropped()
    {
        Require();
        await Store.SubmitAsync("s2", [Spec("s2.1", "add", "[1,2]")]);
        await Store.RegisterAsync("wa", "wa", Hello("wa"));
        Assert.Single((await Store.LeaseAsync("wa", "wa", ["add"], 10, 0)).Tasks);

        Assert.Equal(new CompleteOutcome(0, 1, 0, 0), await Store.CompleteAsync("intruder", [Result("s2.1", "s2", 1, "99")]));
        Assert.Equal(new CompleteOutcome(0, 1, 0, 0), await Store.CompleteAsync("wa", [Result("s2.1", "other-session", 1, "99")]));
        Assert.Empty(await Store.ReadCompletionsAsync("s2", 0, 100));
    }

    [SkippableFact]
    public async Task DuplicateTaskIds_AreRefused_AndTheFirstSubmitStands()
    {
        Require();
        Assert.Empty((await Store.SubmitAsync("s3", [Spec("s3.1", "echo", "[1]")])).Refused);

        var duplicates = await Store.SubmitAsync("s3", [Spec("s3.2", "echo", "[2]"), Spec("s3.1", "echo", "[3]")]);

        Assert.Equal([(1, "")], duplicates.Refused);
        await Store.RegisterAsync("wa", "wa", Hello("wa"));
        var leased = (await Store.LeaseAsync("wa", "wa", ["echo"], 10, 0)).Tasks;
        Assert.Equal(["s3.1:[1]", "s3.2:[2]"], leased.Select(a => a.TaskId + ":" + a.Args.ToStringUtf8()));
    }

    [SkippableFact]
    public async Task AFinishedOrCancelledId_IsRefused_InItsSessionAndInAnyOther_ForTheRetention()
    {
        Require();
        await Store.SubmitAsync("s13", [Spec("s13.1", "echo", "[1]"), Spec("s13.2", "echo", "[2]")]);
        await Store.RegisterAsync("wa", "wa", Hello("wa"));
        // one finishes, the other is cancelled (which first is leased depends on the shards)
        var done = Assert.Single((await Store.LeaseAsync("wa", "wa", ["echo"], 1, 0)).Tasks).TaskId;
        Assert.Equal(new CompleteOutcome(1, 0, 0, 0), await Store.CompleteAsync("wa", [Result(done, "s13", 1, "1")]));
        Assert.Equal(new[] { true }, (await Store.CancelAsync("s13", [done == "s13.1" ? "s13.2" : "s13.1"], interrupt: false)).Cancelled);

        // an id is its identity's for the retention: a retried submit, from this session or another, runs nothing
        var again = await Store.SubmitAsync("s13", [Spec("s13.1", "echo", "[3]"), Spec("s13.2", "echo", "[4]")]);
        var elsewhere = await Store.SubmitAsync("s14", [Spec("s13.1", "echo", "[5]"), Spec("s13.2", "echo", "[6]"), Spec("s14.1", "echo", "[7]")]);

        Assert.Equal([0, 1], again.Refused.Select(r => r.Item1));
        Assert.Equal([0, 1], elsewhere.Refused.Select(r => r.Item1));
        Assert.Equal(["s14.1:[7]"], (await Store.LeaseAsync("wa", "wa", ["echo"], 10, 0)).Tasks.Select(a => a.TaskId + ":" + a.Args.ToStringUtf8()));
    }

    [SkippableFact]
    public async Task IdempotencyKey_TakenOnce_RefusesLaterTasks_NamingTheHolder()
    {
        Require();
        var first = Spec("s11.1", "echo", "[1]");
        first.IdempotencyKey = "k-11";
        var second = Spec("s11.2", "echo", "[2]");
        second.IdempotencyKey = "k-11";
        var other = Spec("s11.3", "echo", "[3]");
        other.IdempotencyKey = "k-other";

        Assert.Empty((await Store.SubmitAsync("s11", [first])).Refused);
        var refused = await Store.SubmitAsync("s12", [second, other]);

        Assert.Equal([(0, "s11.1")], refused.Refused);
        await Store.RegisterAsync("wa", "wa", Hello("wa"));
        Assert.Equal(["s11.1", "s11.3"], ((await Store.LeaseAsync("wa", "wa", ["echo"], 10, 0)).Tasks).Select(a => a.TaskId));
    }

    [SkippableFact]
    public async Task Cancel_RemovesAQueuedTask_ButNotALeasedOne()
    {
        Require();
        await Store.SubmitAsync("s4", [Spec(Id("s4", 1), "echo", "[1]"), Spec(Id("s4", 2), "echo", "[2]")]);
        await Store.RegisterAsync("wa", "wa", Hello("wa"));
        var leased = Assert.Single((await Store.LeaseAsync("wa", "wa", ["echo"], 1, 0)).Tasks);
        Assert.Equal(Id("s4", 1), leased.TaskId);

        var (cancelled, interrupted) = await Store.CancelAsync("s4", [Id("s4", 1), Id("s4", 2)], interrupt: false);
        var (again, _) = await Store.CancelAsync("s4", [Id("s4", 2)], interrupt: false);
        var (leasedOnly, interruptLeased) = await Store.CancelAsync("s4", [Id("s4", 1)], interrupt: true);
        Assert.Equal(new[] { false, true }, cancelled);
        Assert.Equal(new[] { false, false }, interrupted);
        Assert.Equal(new[] { false }, again);
        Assert.Equal(new[] { false }, leasedOnly);
        Assert.Equal(new[] { true }, interruptLeased);
        Assert.Empty((await Store.LeaseAsync("wa", "wa", ["echo"], 10, 0)).Tasks);

        var completion = Assert.Single(await Store.ReadCompletionsAsync("s4", 0, 100));
        Assert.Equal(Completion.OutcomeOneofCase.Cancelled, completion.OutcomeCase);
        Assert.Equal(Id("s4", 2), completion.TaskId);
    }

    [SkippableFact]
    public async Task ExpiredWorkerLease_IsRequeuedByTheReaper_ButALiveOneIsNot()
    {
        Require();
        await Store.SubmitAsync("s5", [Spec("s5.1", "echo", "[1]")]);
        await Store.RegisterAsync("wa", "wa", Hello("wa"));
        Assert.Single((await Store.LeaseAsync("wa", "wa", ["echo"], 10, 0)).Tasks);

        Assert.Equal((-1, 0), await Store.RequeueAsync("wa", gone: false));
        Assert.Empty((await Store.DueAsync()).Expired);
    }

    [SkippableFact]
    public async Task Acknowledged_Completions_AreForgotten_AndTheCursorResumes()
    {
        Require();
        var specs = Enumerable.Range(1, 5).Select(i => Spec($"s6.{i}", "echo", $"[{i}]")).ToList();
        await Store.SubmitAsync("s6", specs);
        await Store.RegisterAsync("wa", "wa", Hello("wa"));
        var leased = (await Store.LeaseAsync("wa", "wa", ["echo"], 10, 0)).Tasks;
        await Store.CompleteAsync("wa", leased.Select(a => Result(a.TaskId, "s6", a.Attempt, a.Args.ToStringUtf8()[1..^1])).ToList());

        var all = await Store.ReadCompletionsAsync("s6", 0, 100);
        // A session's sequence starts from the store's clock, then counts one by one.
        var first = all[0].Seq;
        Assert.Equal([first, first + 1, first + 2, first + 3, first + 4], all.Select(c => c.Seq));
        var afterTwo = await Store.ReadCompletionsAsync("s6", first + 1, 100);
        Assert.Equal([first + 2, first + 3, first + 4], afterTwo.Select(c => c.Seq));

        await Store.AckAsync("s6", first + 3);
        Assert.Equal([first + 4], (await Store.ReadCompletionsAsync("s6", 0, 100)).Select(c => c.Seq));
    }

    [SkippableFact]
    public async Task RetryableError_RunsAgain_ThenDeadLettersWithEveryAttemptsError()
    {
        Require();
        var spec = Spec("s7.1", "echo", "[1]");
        spec.Policy = new RetryPolicy { MaxAttempts = 2, RetryOn = { "System.IO.IOException" }, BackoffMs = 1, BackoffMaxMs = 1 };
        await Store.SubmitAsync("s7", [spec]);
        await Store.RegisterAsync("wa", "wa", Hello("wa"));

        var first = Assert.Single((await Store.LeaseAsync("wa", "wa", ["echo"], 10, 0)).Tasks);
        Assert.Equal(new CompleteOutcome(1, 0, 1, 0), await Store.CompleteAsync("wa", [Failure("s7.1", "s7", first.Attempt, "System.IO.IOException", "disk")]));
        Assert.Empty(await Store.ReadCompletionsAsync("s7", 0, 100));
        await TaskTimeouts.Eventually(async () => await Store.PromoteAsync() == 1, "the retry is due and promoted");
        var second = Assert.Single((await Store.LeaseAsync("wa", "wa", ["echo"], 10, 0)).Tasks);
        Assert.Equal(2, second.Attempt);
        Assert.Equal(new CompleteOutcome(1, 0, 0, 1), await Store.CompleteAsync("wa", [Failure("s7.1", "s7", second.Attempt, "System.IO.IOException", "disk again")]));

        var completion = Assert.Single(await Store.ReadCompletionsAsync("s7", 0, 100));
        Assert.True(completion.DeadLettered);
        Assert.Equal(["disk", "disk again"], completion.Attempts.Select(a => a.Message));
        Assert.StartsWith("dead-lettered: failed on each of its 2 attempts", completion.Error.Message, StringComparison.Ordinal);
        var letters = await Store.DeadLettersAsync(new DeadLettersRequest());
        var letter = Assert.Single(letters.Letters);
        Assert.Equal(("s7.1", "echo", "[1]", 2), (letter.TaskId, letter.Name, letter.Args.ToStringUtf8(), letter.Errors.Count));

        Assert.Equal(1, (await Store.DeadLettersAsync(new DeadLettersRequest { Requeue = "s7.1" })).Requeued);
        Assert.Empty((await Store.DeadLettersAsync(new DeadLettersRequest())).Letters);
        Assert.Equal("s7.1", Assert.Single((await Store.LeaseAsync("wa", "wa", ["echo"], 10, 0)).Tasks).TaskId);
    }

    [SkippableFact]
    public async Task ASubmitOfADeadLetteredId_IsRefused_AndTheOthersOfItsBatchAreStored()
    {
        Require();
        await Store.RegisterAsync("wa", "wa", Hello("wa"));
        await DeadLetterAsync(Store, "s43", Spec("s43.1", "echo", "[1]"));

        var again = await Store.SubmitAsync("s43", [Spec("s43.2", "echo", "[2]"), Spec("s43.1", "echo", "[1]")]);

        Assert.Equal((1, ""), Assert.Single(again.Refused));
        Assert.Equal("s43.2", Assert.Single((await Store.LeaseAsync("wa", "wa", ["echo"], 10, 0)).Tasks).TaskId);
    }

    [SkippableFact]
    public async Task ABatchMixingPlainTasksWithOnesThatCarryMore_StoresEachAsSent()
    {
        Require();
        var withPolicy = Spec("s44.2", "echo", "[2]");
        withPolicy.Policy = new RetryPolicy { HardTimeoutMs = 5000 };
        var keyed = Spec("s44.4", "echo", "[4]");
        keyed.IdempotencyKey = "k44";
        var later = Spec("s44.5", "echo", "[5]");
        later.NotBeforeUnixMs = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();

        var outcome = await Store.SubmitAsync("s44", [Spec("s44.1", "echo", "[1]"), withPolicy, Spec("s44.3", "echo", "[3]"), keyed, later, Spec("s44.6", "echo", "[6]")]);

        Assert.Empty(outcome.Refused);
        await Store.RegisterAsync("wa", "wa", Hello("wa"));
        // (By id: on several shards a lease takes them shard by shard.)
        var leased = (await Store.LeaseAsync("wa", "wa", ["echo"], 10, 0)).Tasks.OrderBy(a => a.TaskId, StringComparer.Ordinal).ToList();
        // All but the delayed one, each with its own arguments and policy.
        Assert.Equal(["s44.1", "s44.2", "s44.3", "s44.4", "s44.6"], leased.Select(a => a.TaskId));
        Assert.Equal(["[1]", "[2]", "[3]", "[4]", "[6]"], leased.Select(a => a.Args.ToStringUtf8()));
        Assert.Equal([0, 5000, 0, 0, 0], leased.Select(a => a.HardTimeoutMs));
        // The key is held by its task: another task with it is refused, naming the holder.
        var again = Spec("s44.7", "echo", "[7]");
        again.IdempotencyKey = "k44";
        Assert.Equal((0, "s44.4"), Assert.Single((await Store.SubmitAsync("s44", [again])).Refused));
    }

    [SkippableFact]
    public async Task ADeadLetterWhoseArgumentsHoldControlCharacters_IsListedWithThemIntact()
    {
        Require();
        const string args = "[\"a\rb\u0001c\td\"]";
        await Store.RegisterAsync("wa", "wa", Hello("wa"));
        await DeadLetterAsync(Store, "s45", Spec("s45.1", "echo", args));

        var letter = Assert.Single((await Store.DeadLettersAsync(new DeadLettersRequest())).Letters);

        Assert.Equal(("s45.1", args), (letter.TaskId, letter.Args.ToStringUtf8()));
    }

    [SkippableFact]
    public async Task ErrorNotInRetryOn_FailsAtOnce_WithoutDeadLetter()
    {
        Require();
        var spec = Spec("s8.1", "echo", "[1]");
        spec.Policy = new RetryPolicy { MaxAttempts = 5, RetryOn = { "System.IO.IOException" } };
        await Store.SubmitAsync("s8", [spec]);
        await Store.RegisterAsync("wa", "wa", Hello("wa"));
        var leased = Assert.Single((await Store.LeaseAsync("wa", "wa", ["echo"], 10, 0)).Tasks);

        Assert.Equal(new CompleteOutcome(1, 0, 0, 0), await Store.CompleteAsync("wa", [Failure("s8.1", "s8", leased.Attempt, "System.InvalidOperationException", "bug")]));

        var completion = Assert.Single(await Store.ReadCompletionsAsync("s8", 0, 100));
        Assert.False(completion.DeadLettered);
        Assert.Equal("bug", completion.Error.Message);
        Assert.Empty((await Store.DeadLettersAsync(new DeadLettersRequest())).Letters);
    }

    [SkippableFact]
    public async Task WorkerVanishingMoreThanTheBound_DeadLettersTheTask()
    {
        Require();
        var spec = Spec("s9.1", "echo", "[1]");
        spec.Policy = new RetryPolicy { MaxLostRuns = 1 };
        await Store.SubmitAsync("s9", [spec]);
        for (var run = 1; run <= 2; run++)
        {
            var worker = "w" + run;
            await Store.RegisterAsync(worker, worker, Hello(worker));
            Assert.Single((await Store.LeaseAsync(worker, worker, ["echo"], 10, 0)).Tasks);
            Assert.Equal(run == 1 ? (1, 0) : (0, 1), await Store.RequeueAsync(worker, gone: true));
        }

        var completion = Assert.Single(await Store.ReadCompletionsAsync("s9", 0, 100));
        Assert.True(completion.DeadLettered);
        Assert.Equal("Cluster.WorkerLost", completion.Error.Type);
        Assert.Contains("its worker vanished 2 times (limit 1 re-runs)", completion.Error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task LeaseThatNoRegisteredWorkerHolds_IsSweptBackToItsQueue()
    {
        Require();
        await Store.SubmitAsync("s10", [Spec("s10.1", "echo", "[1]")]);
        await Store.RegisterAsync("wa", "wa", Hello("wa"));
        Assert.Single((await Store.LeaseAsync("wa", "wa", ["echo"], 10, 0)).Tasks);
        // What a store restored from an inconsistent point can hold: the lease, but no trace of its worker.
        var db = Redis.GetDatabase();
        var keys = Store.Layout[Store.Layout.OfTask("s10.1")];
        await db.KeyDeleteAsync(keys.Leased("wa"));
        await db.SortedSetRemoveAsync(keys.Workers, "wa");

        Assert.Equal(1, await SweepAsync());

        await Store.RegisterAsync("wb", "wb", Hello("wb"));
        var again = Assert.Single((await Store.LeaseAsync("wb", "wb", ["echo"], 10, 0)).Tasks);
        Assert.Equal(("s10.1", 2), (again.TaskId, again.Attempt));
        Assert.Equal(0, await SweepAsync());
    }

    /// <summary>
    /// The <paramref name="n"/>-th id (from 1) of a run of ids that share a shard: <c>stem.n</c> on one
    /// shard. Order holds within a shard's queue, not across shards.
    /// </summary>
    private protected string Id(string stem, int n)
    {
        var shard = Store.Layout.OfTask(stem + ".1");
        return Enumerable.Range(1, int.MaxValue - 1).Select(i => $"{stem}.{i}").Where(id => Store.Layout.OfTask(id) == shard).ElementAt(n - 1);
    }

    /// <summary>A whole sweep, shard after shard: how many leases it put back.</summary>
    private async Task<int> SweepAsync()
    {
        var (swept, cursor) = await Store.SweepOrphanedLeasesAsync(cursor: 0);
        while (cursor != 0)
        {
            var (more, next) = await Store.SweepOrphanedLeasesAsync(cursor);
            swept += more;
            cursor = next;
        }
        return swept;
    }

    [SkippableFact]
    public async Task SubmitWithAHandoff_LeasesOldestFirst_UpToWhatTheWorkerCanTake()
    {
        Require();
        await Store.SubmitAsync("s13", [Spec(Id("s13", 1), "echo", "[1]")]);
        await Store.RegisterAsync("wa", "wa", Hello("wa"));

        var outcome = await Store.SubmitAsync("s13", [Spec(Id("s13", 2), "echo", "[2]"), Spec(Id("s13", 3), "echo", "[3]")], handoffWorker: "wa", handoffMax: 2);

        // The task queued before goes first; the one left over waits in the queue for any worker.
        Assert.Empty(outcome.Refused);
        Assert.Equal([$"{Id("s13", 1)}:1:[1]", $"{Id("s13", 2)}:1:[2]"], outcome.Handed.Select(a => $"{a.TaskId}:{a.Attempt}:{a.Args.ToStringUtf8()}"));
        await Store.RegisterAsync("wb", "wb", Hello("wb"));
        Assert.Equal(Id("s13", 3), Assert.Single((await Store.LeaseAsync("wb", "wb", ["echo"], 10, 0)).Tasks).TaskId);
        // A hand-off is a lease like any other: fenced by its attempt, and back in the queue when the worker goes.
        Assert.Equal(new CompleteOutcome(1, 0, 0, 0), await Store.CompleteAsync("wa", [Result(Id("s13", 1), "s13", 1, "1")]));
        Assert.Equal((1, 0), await Store.RequeueAsync("wa", gone: true));
        var again = Assert.Single((await Store.LeaseAsync("wb", "wb", ["echo"], 10, 0)).Tasks);
        Assert.Equal((Id("s13", 2), 2), (again.TaskId, again.Attempt));
    }

    [SkippableFact]
    public async Task SubmitWithAHandoff_ToAWorkerNoLongerRegistered_QueuesTheTasks()
    {
        Require();
        var outcome = await Store.SubmitAsync("s14", [Spec("s14.1", "echo", "[1]")], handoffWorker: "gone", handoffMax: 5);

        Assert.Empty(outcome.Handed);
        await Store.RegisterAsync("wa", "wa", Hello("wa"));
        Assert.Equal("s14.1", Assert.Single((await Store.LeaseAsync("wa", "wa", ["echo"], 10, 0)).Tasks).TaskId);
    }

    [SkippableFact]
    public async Task ABatchsCompletions_AreHandedOnNumberedAsInTheOutbox_AndARevivedTaskWritesNoSecond()
    {
        Require();
        var notifier = new Notifier(Redis, Store.Layout.Base);
        var store = new TaskStore(Redis, Store.Layout, new CoordinatorOptions(), notifier);
        await store.RegisterAsync("wa", "wa", Hello("wa"));
        // s40.1 is dead-lettered (its client has that outcome), then put back in its queue by an admin.
        await DeadLetterAsync(store, "s40", Spec("s40.1", "echo", "[1]"));
        var letter = Assert.Single(await store.ReadCompletionsAsync("s40", 0, 100));
        Assert.True(letter.DeadLettered);
        Assert.Equal(1, (await store.DeadLettersAsync(new DeadLettersRequest { Requeue = "s40.1" })).Requeued);
        await store.SubmitAsync("s40", [Spec("s40.2", "echo", "[2]"), Spec("s40.3", "echo", "[3]")]);
        await store.SubmitAsync("s41", [Spec("s41.1", "echo", "[4]")]);
        var leased = (await store.LeaseAsync("wa", "wa", ["echo"], 10, 0)).Tasks.ToDictionary(a => a.TaskId, a => a.Attempt);
        Assert.Equal(4, leased.Count);
        var watch40 = notifier.Watch("s40");
        var watch41 = notifier.Watch("s41");
        // A new stream reads the store first; from then on it takes what is handed to it.
        Assert.Null(watch40.TakeFollowing(letter.Seq, 10));
        Assert.Null(watch41.TakeFollowing(0, 10));

        // The sessions interleaved, the revived task between them.
        TaskResult Value(string id, string session) => Result(id, session, leased[id], $"\"{id}\"");
        Assert.Equal(new CompleteOutcome(4, 0, 0, 0), await store.CompleteAsync("wa", [Value("s40.2", "s40"), Value("s41.1", "s41"), Value("s40.1", "s40"), Value("s40.3", "s40")]));

        // The revived task's later value is recorded but not written again for its client.
        var outbox40 = await store.ReadCompletionsAsync("s40", letter.Seq, 100);
        Assert.Equal(["s40.2", "s40.3"], outbox40.Select(c => c.TaskId));
        var outbox41 = await store.ReadCompletionsAsync("s41", 0, 100);
        Assert.Equal("s41.1", Assert.Single(outbox41).TaskId);
        if (store.Layout.Count == 1)
        {
            // Handed on to the streams open here with the numbers the outbox gave them, in order.
            Assert.Equal(outbox40.Select(c => (c.TaskId, c.Seq)), watch40.TakeFollowing(letter.Seq, 10)!.Select(c => (c.TaskId, c.Seq)));
            Assert.Equal(outbox41.Select(c => (c.TaskId, c.Seq)), watch41.TakeFollowing(outbox41[0].Seq - 1, 10)!.Select(c => (c.TaskId, c.Seq)));
        }
    }

    /// <summary>
    /// Submits the task with a policy that dead-letters it at its first IOException, leases it to the
    /// worker "wa" (registered already) and fails it so.
    /// </summary>
    private protected static async Task DeadLetterAsync(TaskStore store, string session, TaskSpec spec)
    {
        spec.Policy = new RetryPolicy { MaxAttempts = 1, RetryOn = { "System.IO.IOException" } };
        await store.SubmitAsync(session, [spec]);
        var leased = Assert.Single((await store.LeaseAsync("wa", "wa", ["echo"], 10, 0)).Tasks);
        Assert.Equal(new CompleteOutcome(1, 0, 0, 1), await store.CompleteAsync("wa", [Failure(spec.Id, session, leased.Attempt, "System.IO.IOException", "disk")]));
    }

    private protected static TaskResult Failure(string id, string session, int attempt, string type, string message) =>
        new() { TaskId = id, Session = session, Attempt = attempt, Error = new TaskError { Type = type, Message = message, Attempt = attempt } };

    private protected static TaskSpec Spec(string id, string name, string json) =>
        new() { Id = id, Name = name, Args = ByteString.CopyFrom(Encoding.UTF8.GetBytes(json)) };

    private protected static TaskResult Result(string id, string session, int attempt, string json) =>
        new() { TaskId = id, Session = session, Attempt = attempt, Value = ByteString.CopyFromUtf8(json) };

    private protected static Hello Hello(string worker) =>
        new() { WorkerId = worker, Host = "test", ProcessId = 1, Handlers = { new HandlerInfo { Name = "add", Kind = ExecutionKind.ThreadPool }, new HandlerInfo { Name = "echo", Kind = ExecutionKind.ThreadPool } } };
}

public sealed class EmbeddedStoreTests : StoreTests
{
    private EmbeddedStore? _store;

    [SkippableFact]
    public async Task DefaultLayout_OnTheEmbeddedStore_IsOneShard_WithTheKeysOfOneTag()
    {
        Require();
        await Store.SubmitAsync("s30", [Spec("s30.1", "echo", "[1]")]);

        Assert.Equal(1, Store.Layout.Count);
        var tag = "{" + Store.Layout.Prefix + "}";
        Assert.Equal([tag + ":h", tag + ":o:s", tag + ":q:echo"], new[] { Store.Layout[0].Headers, Store.Layout[0].Outbox("s"), Store.Layout[0].Queue("echo") }.Select(k => (string)k!));
        // One shard writes no forwards: its completions go straight to their outbox.
        Assert.False(await Redis.GetDatabase().KeyExistsAsync(Store.Layout[0].Forwards));
        Assert.Equal(1, (int)await Redis.GetDatabase().StringGetAsync(Store.Layout[0].ShardCount));
    }

    protected override Task<string?> StartStoreAsync()
    {
        _store = EmbeddedStore.Start(dataDirectory: null);
        return Task.FromResult<string?>(_store.ConfigurationString);
    }

    // The scripts run through the in-process transport, as the coordinator's do.
    protected override void Configure(ConfigurationOptions connection) => connection.Tunnel = _store!.Tunnel;

    protected override Task StopStoreAsync()
    {
        _store?.Dispose();
        return Task.CompletedTask;
    }

    protected override void Require()
    {
    }
}

public sealed class RedisServerStoreTests : StoreTests
{
    private RedisServer? _server;

    protected override async Task<string?> StartStoreAsync()
    {
        if (RedisServer.Missing is not null)
        {
            return null;
        }
        _server = await RedisServer.StartAsync();
        return _server.Address;
    }

    protected override async Task StopStoreAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    protected override void Require() => Requirements.Require(RedisServer.Missing);
}
