namespace Cluster.IntegrationTests.Infrastructure;

/// <summary>Two worker processes on a real Redis Cluster of three masters (`--redis` lists the masters).</summary>
public sealed class RedisClusterModeCluster : ClusterFixture
{
    public RedisClusterModeCluster()
        : base(processes: 2, redis: true)
    {
        RedisClusterMasters = 3;
    }
}
