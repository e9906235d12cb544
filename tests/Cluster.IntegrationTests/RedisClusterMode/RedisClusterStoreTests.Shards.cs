using System.Net;
using Cluster.Coordinator.Internal.Store;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using StackExchange.Redis;

namespace Cluster.IntegrationTests;

/// <summary>
/// The sharded keyspace on a real Redis Cluster: a backlog spreads over every master, and a
/// completion written in another shard than its session's reaches the session once.
/// </summary>
public sealed partial class RedisClusterStoreTests
{
    [SkippableFact]
    public void DefaultLayout_OnThreeMasters_IsFourShardsPerMaster_EachOnOneMaster()
    {
        Require();

        Assert.Equal(3 * ShardLayout.ShardsPerMaster, Store.Layout.Count);
        Assert.Equal("{" + Store.Layout.Prefix + "}", Store.Layout[0].Tag);
    }

    [SkippableFact]
    public async Task BacklogOf100000Tasks_SpreadsOverEveryMaster()
    {
        Require();
        const int total = 100_000;
        for (var batch = 0; batch < total / 1000; batch++)
        {
            var tasks = Enumerable.Range(batch * 1000, 1000).Select(i => Spec($"b.{i}", "nobody", "[1]")).ToList();
            Assert.Empty((await Store.SubmitAsync("backlog", tasks)).Refused);
        }

        // Each shard's tasks (its headers hash), counted on the master that serves the shard's slot.
        await using var admin = await ConnectionMultiplexer.ConnectAsync(fixture.Configuration + ",allowAdmin=true");
        var topology = await admin.GetServer(admin.GetEndPoints()[0]).ClusterNodesAsync();
        var perMaster = topology!.Nodes.Where(n => !n.IsReplica).ToDictionary(n => Address(n.EndPoint), _ => 0L);
        var db = Redis.GetDatabase();
        for (var shard = 0; shard < Store.Layout.Count; shard++)
        {
            var headers = Store.Layout[shard].Headers;
            perMaster[Address(topology.GetBySlot(headers)!.EndPoint)] += await db.HashLengthAsync(headers);
        }
        foreach (var (master, tasks) in perMaster)
        {
            var keys = await admin.GetServer(master).DatabaseSizeAsync();
            output.WriteLine($"master {master}: {tasks} tasks ({100.0 * tasks / total:0.0}%), DBSIZE {keys}");
        }

        Assert.Equal(3, perMaster.Count);
        Assert.Equal(total, perMaster.Values.Sum());
        Assert.All(perMaster.Values, tasks => Assert.True(tasks > total / 5, $"a master holds {tasks} of the {total} tasks"));
    }

    [SkippableFact]
    public async Task CompletionsOfTasksInEveryShard_ReachTheirSession_OnceEach_InOrder()
    {
        Require();
        var ids = Enumerable.Range(0, 200).Select(i => $"e.{i}").ToList();
        await Store.SubmitAsync("spread", [.. ids.Select(id => Spec(id, "echo", "[1]"))]);
        await Store.RegisterAsync("we", "te", Hello("we"));
        var leased = (await Store.LeaseAsync("we", "te", ["echo"], 500, 0)).Tasks;
        Assert.Equal(200, leased.Count);
        Assert.True(ids.Select(id => Store.Layout.OfTask(id)).Distinct().Count() > 1);

        var outcome = await Store.CompleteAsync("we", [.. leased.Select(a => Result(a.TaskId, "spread", a.Attempt, "1"))]);

        Assert.Equal(new CompleteOutcome(200, 0, 0, 0), outcome);
        var completions = await Store.ReadCompletionsAsync("spread", 0, 1000);
        Assert.Equal(ids.Order(StringComparer.Ordinal), completions.Select(c => c.TaskId).Order(StringComparer.Ordinal));
        Assert.Equal(completions.Select(c => c.Seq).Order(), completions.Select(c => c.Seq));
        Assert.Equal(200, completions.Select(c => c.Seq).Distinct().Count());
    }

    [SkippableFact]
    public async Task ForwardLeftByACoordinatorThatDiedBeforeTheAppend_IsDrained_AndAppliedTwice_DeliversOnce()
    {
        Require();
        const string session = "left";
        var home = Store.Layout.HomeOf(session);
        var id = Enumerable.Range(0, 1000).Select(i => $"f.{i}").First(i => Store.Layout.OfTask(i) != home);
        var shard = Store.Layout.OfTask(id);
        await Store.SubmitAsync(session, [Spec(id, "echo", "[7]")]);
        await Store.RegisterAsync("wf", "tf", Hello("wf"));
        var task = Assert.Single((await Store.LeaseAsync("wf", "tf", ["echo"], 10, 0)).Tasks);

        // The coordinator dies after the task's shard wrote the completion, before the append.
        Store.BeforeAppend = () => throw new IOException("the coordinator died");
        await Assert.ThrowsAsync<IOException>(() => Store.CompleteAsync("wf", [Result(id, session, task.Attempt, "7")]));
        Store.BeforeAppend = null;
        Assert.Empty(await Store.ReadCompletionsAsync(session, 0, 100));

        // Its forward, as the reaper finds it; then the same forward once more.
        var db = Redis.GetDatabase();
        var staged = await db.SortedSetRangeByRankWithScoresAsync(Store.Layout[shard].Outbox(session));
        Assert.Single(staged);
        Assert.Equal(1, await Store.DrainForwardsAsync(TimeSpan.Zero));
        await db.SortedSetAddAsync(Store.Layout[shard].Outbox(session), staged);
        await db.SortedSetAddAsync(Store.Layout[shard].Forwards, session, 0);
        await Store.DrainForwardsAsync(TimeSpan.Zero);

        var completion = Assert.Single(await Store.ReadCompletionsAsync(session, 0, 100));
        Assert.Equal((id, "7"), (completion.TaskId, completion.Result.ToStringUtf8()));
        Assert.False(await db.KeyExistsAsync(Store.Layout[shard].Outbox(session)));
        // Nothing left to drain: the forward is forgotten.
        await Store.DrainForwardsAsync(TimeSpan.Zero);
        Assert.Equal(0, await db.SortedSetLengthAsync(Store.Layout[shard].Forwards));
    }

    [SkippableFact]
    public async Task KeptCompletions_AreInTheTasksShard_ForASessionHomedElsewhere_AndATaskPlacedByItsIdempotencyKey()
    {
        Require();
        const string session = "attach";
        var home = Store.Layout.HomeOf(session);
        var away = Enumerable.Range(0, 1000).Select(i => $"a.{i}").First(i => Store.Layout.OfTask(i) != home);
        var cancelled = Enumerable.Range(0, 1000).Select(i => $"c.{i}").First(i => Store.Layout.OfTask(i) != home);
        var keyed = Spec("a.keyed", "echo", "[2]");
        keyed.IdempotencyKey = Enumerable.Range(0, 1000).Select(i => $"k.{i}").First(k => Store.Layout.OfTask("a.keyed", k) != Store.Layout.OfTask("a.keyed"));
        await Store.SubmitAsync(session, [Spec(away, "echo", "[1]"), keyed, Spec(cancelled, "add", "[3]")]);
        Assert.Equal(session, (await Store.LookupAsync("a.keyed")).PendingSession);
        await Store.RegisterAsync("wk", "tk", Hello("wk"));
        var leased = (await Store.LeaseAsync("wk", "tk", ["echo"], 10, 0)).Tasks;
        Assert.Equal(2, leased.Count);

        await Store.CompleteAsync("wk", [.. leased.Select(a => Result(a.TaskId, session, a.Attempt, a.Args.ToStringUtf8()))]);
        var cancel = await Store.CancelAsync(session, [cancelled], interrupt: false);
        Assert.True(Assert.Single(cancel.Cancelled));

        // Each completion is kept in its task's shard, whatever shard its session is homed on.
        var db = Redis.GetDatabase();
        Assert.True(await db.HashExistsAsync(Store.Layout[Store.Layout.OfTask(away)].Results, away));
        Assert.True(await db.HashExistsAsync(Store.Layout[Store.Layout.OfTask(cancelled)].Results, cancelled));
        Assert.True(await db.HashExistsAsync(Store.Layout[Store.Layout.OfTask("a.keyed", keyed.IdempotencyKey)].Results, "a.keyed"));
        var (done, pending) = await Store.LookupAsync(away);
        Assert.Null(pending);
        Assert.Equal("[1]", done!.Result.ToStringUtf8());
        Assert.Equal("[2]", (await Store.PeekAsync("a.keyed")).Completion!.Result.ToStringUtf8());
        Assert.NotNull((await Store.LookupAsync(cancelled)).Completion!.Cancelled);
        var unknown = await Store.LookupAsync("a.unknown");
        Assert.Null(unknown.Completion);
        Assert.Null(unknown.PendingSession);
    }

    [SkippableFact]
    public async Task DeadLettersOfOneName_InEveryShard_AreCountedDescribedAndRequeuedTogether()
    {
        Require();
        var ids = Enumerable.Range(0, 60).Select(i => $"d.{i}").ToList();
        Assert.Equal(Store.Layout.Count, ids.Select(id => Store.Layout.OfTask(id)).Distinct().Count());
        var specs = ids.Select(id => Spec(id, "echo", "[4]")).ToList();
        specs.ForEach(s => s.Policy = new RetryPolicy { MaxAttempts = 1, RetryOn = { "System.IO.IOException" } });
        await Store.SubmitAsync("dl", specs);
        await Store.RegisterAsync("wd", "td", Hello("wd"));
        var leased = (await Store.LeaseAsync("wd", "td", ["echo"], 100, 0)).Tasks;
        Assert.Equal(ids.Count, leased.Count);

        Assert.Equal(new CompleteOutcome(ids.Count, 0, 0, ids.Count), await Store.CompleteAsync("wd", [.. leased.Select(a => Failure(a.TaskId, "dl", a.Attempt, "System.IO.IOException", "disk"))]));

        Assert.Equal(ids.Count, await Store.DeadLetterCountAsync());
        var described = await Store.DescribeAsync(ids[^1], 100);
        Assert.Equal(("[4]", "disk"), (described.ArgsPreview, Assert.Single(described.Errors).Message));
        Assert.Equal(ids[^1], described.DeadLetter!.TaskId);
        var worker = Assert.Single((await Store.StatusAsync()).Workers);
        Assert.InRange(worker.HeartbeatUnixMs, DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeMilliseconds());
        Assert.Equal(ids.Count, await Store.RequeueNameAsync("echo"));
        Assert.Equal(0, await Store.DeadLetterCountAsync());
        Assert.Equal(ids.Order(StringComparer.Ordinal), (await Store.LeaseAsync("wd", "td", ["echo"], 100, 0)).Tasks.Select(a => a.TaskId).Order(StringComparer.Ordinal));
    }

    [SkippableFact]
    public async Task ShardCountOtherThanTheStores_IsRefused_NamingBothNumbers()
    {
        Require();

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => ShardLayout.OpenAsync(Redis, Store.Layout.Prefix, 5));

        Assert.Contains($"Shards (--shards) is 5, but the store under prefix '{Store.Layout.Prefix}' holds {Store.Layout.Count} shards", refused.Message, StringComparison.Ordinal);
        Assert.Equal(Store.Layout.Count, (await ShardLayout.OpenAsync(Redis, Store.Layout.Prefix, 0)).Count);
    }

    private static string Address(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        DnsEndPoint dns => $"{(dns.Host == "localhost" ? "127.0.0.1" : dns.Host)}:{dns.Port}",
        _ => endPoint?.ToString() ?? "?",
    };
}
