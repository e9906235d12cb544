using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Security;

/// <summary>One worker process, a real redis-server, no tokens: raw workers beside it take the tests' own task names.</summary>
public sealed class OwnershipRedisCluster() : ClusterFixture(processes: 1, redis: true);
