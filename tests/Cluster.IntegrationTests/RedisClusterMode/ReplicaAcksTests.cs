using System.Text;
using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Cluster.IntegrationTests;

/// <summary>`--replica-acks 1` on a Redis Cluster whose masters have a replica each.</summary>
public sealed class ReplicaAcksTests(ReplicaAcksCluster cluster) : IClassFixture<ReplicaAcksCluster>
{
    [SkippableFact]
    public async Task Submit_IsAcknowledged_OnlyOnceTheReplicaHoldsTheTask()
    {
        cluster.Require();
        var redis = cluster.RedisClusterServer!;
        var master = await redis.MasterOfAsync("{cluster}");
        var replica = await redis.ReplicaOfAsync(master);
        var id = "acked-" + Guid.NewGuid().ToString("N");

        // A name no worker handles: the task stays in the store, queued.
        var reply = await cluster.Tasks.SubmitAsync(Request(id)).ResponseAsync.WithTimeout();
        Assert.Empty(reply.Rejected);
        // From the ack on, the replica takes nothing more from its master: what it holds, it had before the ack.
        await redis.CutReplicationAsync(replica);
        try
        {
            Assert.NotEmpty(await redis.HashesHoldingAsync(replica, id));
        }
        finally
        {
            await redis.RestoreReplicationAsync(replica);
        }
    }

    [SkippableFact]
    public async Task Submit_FailsWithAClearError_WhenNoReplicaAcknowledges_AndWorksOnceTheReplicaIsBack()
    {
        cluster.Require();
        var redis = cluster.RedisClusterServer!;
        var master = await redis.MasterOfAsync("{cluster}");
        var replica = await redis.ReplicaOfAsync(master);

        await redis.CutReplicationAsync(replica);
        try
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => cluster.Tasks.SubmitAsync(Request("unacked-" + Guid.NewGuid().ToString("N"))).ResponseAsync.WithTimeout());
            Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
            Assert.Contains("0 of the 1 replica acknowledgements --replica-acks requires", refused.Status.Detail, StringComparison.Ordinal);

            // The SDK retries an unavailable store, then fails the future with the coordinator's reason.
            await using var executor = new ClusterExecutor(cluster.Address.ToString(), new ClusterExecutorOptions { UnavailableTimeout = TimeSpan.FromSeconds(15) });
            var future = executor.Submit<long>("add", 1L, 2L);
            var error = await Assert.ThrowsAsync<ClusterUnavailableException>(() => future.AsTask().WithTimeout());
            Assert.True(error.Message.Contains("replica acknowledgements", StringComparison.Ordinal), error.Message);
            await executor.ShutdownAsync(wait: false, cancelFutures: true).WithTimeout();
        }
        finally
        {
            await redis.RestoreReplicationAsync(replica);
        }

        await using var again = cluster.NewExecutor();
        Assert.Equal(3L, await again.Submit<long>("add", 1L, 2L).AsTask().WithTimeout());
    }

    private static SubmitRequest Request(string id) => new()
    {
        Session = "acks-" + Guid.NewGuid().ToString("N"),
        Tasks = { new TaskSpec { Id = id, Name = "nobody-runs-this", Args = ByteString.CopyFrom("[]", Encoding.UTF8) } },
    };
}
