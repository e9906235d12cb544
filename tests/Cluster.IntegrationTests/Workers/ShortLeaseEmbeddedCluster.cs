using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Workers;

/// <summary>One worker process, embedded store, a lease of 900 ms renewed every 300 ms: a silent worker is reaped within seconds.</summary>
public sealed class ShortLeaseEmbeddedCluster() : ClusterFixture(processes: 1, redis: false, "--lease-ms", "900", "--heartbeat-ms", "300");
