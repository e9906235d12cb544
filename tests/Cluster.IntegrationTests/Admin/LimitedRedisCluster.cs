using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Administration;

/// <summary>
/// One worker process, a real redis-server that refuses writes past its maxmemory (no eviction),
/// at most 3 tasks queued per task name.
/// </summary>
public sealed class LimitedRedisCluster : ClusterFixture
{
    public LimitedRedisCluster()
        : base(processes: 1, redis: true, "--max-queued", "3") => RedisArguments = ["--maxmemory-policy", "noeviction"];
}
