using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Client;

/// <summary>A cluster whose coordinator holds at most three queued tasks per task name (--max-queued 3).</summary>
public abstract class QueueLimitedCluster(bool redis) : ClusterFixture(processes: 1, redis, "--max-queued", QueueLimitedCluster.Limit.ToString(System.Globalization.CultureInfo.InvariantCulture))
{
    public const int Limit = 3;
}

/// <summary>--max-queued 3 on the embedded store.</summary>
public sealed class EmbeddedQueueLimitedCluster() : QueueLimitedCluster(redis: false);

/// <summary>--max-queued 3 on a real redis-server.</summary>
public sealed class RedisQueueLimitedCluster() : QueueLimitedCluster(redis: true);
