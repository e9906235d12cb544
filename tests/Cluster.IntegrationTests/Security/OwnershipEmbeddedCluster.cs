using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Security;

/// <summary>One worker process, embedded store, no tokens: raw workers beside it take the tests' own task names.</summary>
public sealed class OwnershipEmbeddedCluster() : ClusterFixture(processes: 1, redis: false);
