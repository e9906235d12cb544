using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Sessions;

/// <summary>
/// One worker process, embedded store; completions, finished ids and sequences kept 2 s
/// (<c>--retention 2</c>) and results held to 1 MiB (<c>--max-result 1048576</c>).
/// </summary>
public sealed class EmbeddedShortRetentionCluster() : ClusterFixture(processes: 1, redis: false, ShortRetentionCluster.Arguments);
