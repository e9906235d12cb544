namespace Cluster.IntegrationTests.Security;

/// <summary>The tokens cluster on a real redis-server.</summary>
public sealed class OwnershipRedisTokensCluster() : OwnershipTokensCluster(redis: true);
