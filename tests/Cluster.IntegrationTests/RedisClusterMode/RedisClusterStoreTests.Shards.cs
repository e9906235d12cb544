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
