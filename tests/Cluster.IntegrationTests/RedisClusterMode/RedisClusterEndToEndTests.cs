using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Cluster.IntegrationTests;

/// <summary>
/// The end-to-end tests on a real Redis Cluster of three masters (`cluster up --redis` with the
/// masters' addresses), and what only a cluster has: the store described as one, and the
/// coordinators' notices carried by pub/sub between the nodes.
/// </summary>
public sealed partial class RedisClusterEndToEndTests(RedisClusterModeCluster cluster, ITestOutputHelper output)
    : EndToEndTests<RedisClusterModeCluster>(cluster), IClassFixture<RedisClusterModeCluster>
{
    [SkippableFact]
    public async Task Status_DescribesTheStore_AsARedisClusterOfThreeMasters()
    {
        Cluster.Require();

        var status = await Cluster.Admin.StatusAsync(new StatusRequest()).ResponseAsync.WithTimeout();

        Assert.StartsWith("redis cluster of 3 masters: ", status.Store, StringComparison.Ordinal);
        output.WriteLine($"store: {status.Store}");
        foreach (var (master, keys) in await Cluster.RedisClusterServer!.DbSizePerMasterAsync())
        {
            output.WriteLine($"DBSIZE {master}: {keys}");
        }
    }

    [SkippableFact]
    public async Task CoordinatorStartedWithAnotherShardCount_IsRefused_NamingBothNumbers()
    {
        Cluster.Require();

        await using var other = ChildProcess.StartCluster("coordinator", "--port", "0", "--http-port", "0", "--redis", Cluster.RedisClusterServer!.MasterAddresses, "--shards", "5");

        Assert.Equal(1, await other.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Shards (--shards) is 5, but the store under prefix 'cluster' holds 12 shards", other.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", other.Output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task TasksSubmittedToASecondCoordinator_RunOnTheFirstOnesWorkers_ThroughPubSubOnTheCluster()
    {
        Cluster.Require();
        var redis = Cluster.RedisClusterServer!;
        var (second, port) = await StartSecondCoordinatorAsync(redis);
        await using var _ = second;

        // Both coordinators subscribe to the done notices; a PUBLISH on any node reaches subscribers on every node.
        await using (var connection = await ConnectionMultiplexer.ConnectAsync(redis.Addresses))
        {
            await TaskTimeouts.Eventually(async () =>
            {
                long subscribers = 0;
                foreach (var node in redis.Nodes.Where(n => n.IsAlive))
                {
                    var reply = (RedisResult[])(await connection.GetServer(node.Address).ExecuteAsync("PUBSUB", "NUMSUB", "{cluster}:done"))!;
                    subscribers += (long)reply[1];
                }
                return subscribers >= 2;
            }, "both coordinators are subscribed to the done channel on the cluster");
        }

        // The second coordinator has no worker: its tasks run on the fixture's workers, their results come back through it.
        await using var executor = new ClusterExecutor($"http://127.0.0.1:{port}");
        var futures = Enumerable.Range(0, 200).Select(i => executor.Submit<long>("add", i, i)).ToList();
        var results = await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout();

        Assert.Equal(Enumerable.Range(0, 200).Select(i => 2L * i), results);
    }

    /// <summary>A second coordinator process on the fixture's cluster, listening; and its port.</summary>
    private static async Task<(ChildProcess Process, int Port)> StartSecondCoordinatorAsync(RedisClusterServer redis)
    {
        var port = RedisServer.FreeLoopbackPort();
        var process = ChildProcess.StartCluster("coordinator", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--redis", redis.MasterAddresses);
        await process.WaitForOutputAsync("Coordinator listening on", TimeSpan.FromSeconds(60));
        return (process, port);
    }
}
