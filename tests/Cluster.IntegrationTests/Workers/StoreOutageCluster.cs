using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Workers;

/// <summary>
/// Two worker processes on a real redis-server that a test pauses, with a lease (30 s) longer than
/// the pause: whatever fails while the store is away is the store's fault, never the tasks'.
/// </summary>
public sealed class StoreOutageCluster() : ClusterFixture(processes: 2, redis: true, "--lease-ms", "30000");
