using Cluster.Contracts;
using Cluster.IntegrationTests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Cluster.IntegrationTests.Queues;

/// <summary>
/// Parked queue calls cost the store nothing while they wait: with a hundred gets parked on empty
/// queues, a put parked on a full queue and a join parked on unfinished items, redis-server runs no
/// more scripts in a few seconds than it does with none parked (its own command counters, INFO
/// commandstats); then a put to each queue wakes its get at once.
/// </summary>
[Collection("client on redis-server")]
public sealed class QueueWakeupTests(RedisCluster cluster, ITestOutputHelper output)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(3);

    [SkippableFact]
    public async Task ParkedCalls_RunNoScriptsWhileTheyWait_AndAPutWakesThem()
    {
        cluster.Require();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.RedisAddress! + ",allowAdmin=true");
        var server = redis.GetServer(cluster.RedisAddress!);
        await using var executor = cluster.NewExecutor();
        var prefix = "w-" + Guid.NewGuid().ToString("N")[..8] + "-";
        var names = Enumerable.Range(0, 100).Select(i => prefix + i).ToArray();
        var full = executor.GetQueue<int>(prefix + "full", maxSize: 1);
        await full.PutAsync(0).WithTimeout();

        var idle = await ScriptsRunDuring(server, Window);

        var gets = names.Select(n => executor.GetQueue<int>(n).GetAsync()).ToArray();
        var put = full.PutAsync(1);
        var join = full.JoinAsync();
        // Parked: each call's script has flagged its queue as waited on.
        var db = redis.GetDatabase();
        await TaskTimeouts.Eventually(async () =>
        {
            foreach (var name in names)
            {
                if (!await db.HashExistsAsync($"{{cluster:iq:{name}}}:s", "wg"))
                {
                    return false;
                }
            }
            return await db.HashExistsAsync($"{{cluster:iq:{prefix}full}}:s", "wp") && await db.HashExistsAsync($"{{cluster:iq:{prefix}full}}:s", "wj");
        }, "every call is parked");
        var parked = await ScriptsRunDuring(server, Window);
        output.WriteLine($"scripts run in {Window.TotalSeconds} s: {idle} with nothing parked, {parked} with {names.Length + 2} calls parked");

        Assert.All(gets, g => Assert.False(g.IsCompleted));
        Assert.False(put.IsCompleted);
        Assert.False(join.IsCompleted);
        // A poll of even once a second per parked call would be 300 more.
        Assert.True(parked <= idle + 20, $"{parked} scripts ran while {names.Length + 2} calls were parked, {idle} with none");

        for (var i = 0; i < names.Length; i++)
        {
            await executor.GetQueue<int>(names[i]).PutAsync(i).WithTimeout();
        }
        for (var i = 0; i < names.Length; i++)
        {
            Assert.Equal(i, await gets[i].WithTimeout());
        }
        Assert.Equal(0, full.Get());
        await put.WithTimeout();
        full.TaskDone();
        Assert.Equal(1, full.Get());
        Assert.False(join.IsCompleted);
        full.TaskDone();
        await join.WithTimeout();
    }

    /// <summary>The scripts redis-server ran (EVALSHA and EVAL calls, by its own counters) during <paramref name="window"/>.</summary>
    private static async Task<long> ScriptsRunDuring(IServer server, TimeSpan window)
    {
        var before = await ScriptCalls(server);
        await Task.Delay(window);
        return await ScriptCalls(server) - before;
    }

    private static async Task<long> ScriptCalls(IServer server)
    {
        long calls = 0;
        foreach (var group in await server.InfoAsync("commandstats"))
        {
            foreach (var (key, value) in group)
            {
                if (key is "cmdstat_evalsha" or "cmdstat_eval")
                {
                    // calls=N,usec=...
                    calls += long.Parse(value.Split(',')[0]["calls=".Length..], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        return calls;
    }
}
