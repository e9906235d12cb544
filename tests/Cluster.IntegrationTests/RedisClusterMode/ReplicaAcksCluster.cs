namespace Cluster.IntegrationTests.Infrastructure;

/// <summary>
/// One worker process on a real Redis Cluster of three masters with a replica each, the coordinator
/// run with `--replica-acks 1`: a state change is acknowledged only once a replica holds it.
/// </summary>
public sealed class ReplicaAcksCluster : ClusterFixture
{
    public ReplicaAcksCluster()
        : base(processes: 1, redis: true, "--replica-acks", "1")
    {
        RedisClusterMasters = 3;
        RedisClusterReplicas = 1;
    }
}
