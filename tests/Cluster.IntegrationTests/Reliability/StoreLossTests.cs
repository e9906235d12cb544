using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.IntegrationTests;

/// <summary>
/// A store that comes back without what it acknowledged: a real redis-server killed by its PID and
/// started again, empty, on the same port (as a store restored from nothing, or a failover to a
/// replica that never had the writes). The coordinator counts the failure of its store connection
/// and its completion stream passes the count on; the client asks where each of its accepted tasks
/// stands and fails those the store no longer knows with <see cref="TaskLostException"/> — no
/// future waits forever for a completion that cannot come.
/// </summary>
public sealed class StoreLossTests
{
    private const int Count = 20;
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    [SkippableFact]
    public async Task StoreRestartedEmpty_EveryAcceptedFutureFailsWithTaskLost_NamingTheTask()
    {
        Requirements.Require(RedisServer.Missing);
        var redis = await RedisServer.StartAsync();
        var port = redis.Port;
        try
        {
            // No worker: the tasks wait in the store, accepted, until it loses them.
            await using var coordinator = ChildProcess.StartCluster("coordinator", "--port", "0", "--http-port", "none", "--redis", redis.Address);
            var address = (await coordinator.WaitForOutputAsync(@"Coordinator listening on (\S+)", Start)).Groups[1].Value;
            await using var executor = new ClusterExecutor(address);
            using var channel = GrpcChannel.ForAddress(address);
            var tasks = new Protocol.V1.Tasks.TasksClient(channel);
            var futures = Enumerable.Range(0, Count).Select(i => executor.Submit<long>("add", i, 1)).ToList();
            await TaskTimeouts.Eventually(async () => (await Task.WhenAll(futures.Select(f => IsStoredAsync(tasks, f.Id)))).All(stored => stored), $"the {Count} tasks are stored");

            await redis.DisposeAsync(); // kills the redis-server by its PID; its data goes with it
            redis = await RedisServer.StartAsync(port: port);

            await Task.WhenAll(futures.Select(f => f.WhenDone())).WithTimeout(Bound);
            Assert.All(futures, f =>
            {
                var lost = Assert.IsType<TaskLostException>(f.GetException(TimeSpan.Zero));
                Assert.Equal(f.Id, lost.TaskId);
                Assert.Equal("add", lost.Name);
                Assert.Contains(f.Id, lost.Message, StringComparison.Ordinal);
            });
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }

    private static async Task<bool> IsStoredAsync(Protocol.V1.Tasks.TasksClient tasks, string id)
    {
        try
        {
            await tasks.AttachAsync(new AttachRequest { TaskId = id, Peek = true });
            return true;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return false;
        }
    }
}
