namespace Cluster.IntegrationTests.Infrastructure;

/// <summary>
/// One worker process on a real Redis Cluster of three masters with a replica each, the coordinator
/// run with `--replica-acks 1`: a state change is acknowledged only once a replica holds it. On one
/// shard, so every key is on the master of <c>{cluster}</c>, whose replica the tests cut off.
/// </summary>
public sealed class ReplicaAcksCluster : ClusterFixture
{
    public ReplicaAcksCluster()
        : base(processes: 1, redis: true, "--replica-acks", "1", "--shards", "1")
    {
        RedisClusterMasters = 3;
        RedisClusterReplicas = 1;
    }
}
