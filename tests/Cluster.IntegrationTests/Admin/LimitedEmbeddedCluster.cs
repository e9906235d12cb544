using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Administration;

/// <summary>One worker process, embedded store, at most 3 tasks queued per task name.</summary>
public sealed class LimitedEmbeddedCluster() : ClusterFixture(processes: 1, redis: false, "--max-queued", "3");
