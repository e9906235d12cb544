using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Sessions;

/// <summary>
/// One worker process, a real redis-server; completions, finished ids and sequences kept 2 s
/// (<c>--retention 2</c>) and results held to 1 MiB (<c>--max-result 1048576</c>).
/// </summary>
public sealed class RedisShortRetentionCluster() : ClusterFixture(processes: 1, redis: true, ShortRetentionCluster.Arguments);
