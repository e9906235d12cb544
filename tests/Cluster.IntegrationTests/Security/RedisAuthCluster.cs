namespace Cluster.IntegrationTests.Security;

/// <summary>An <see cref="AuthCluster"/> on a real redis-server.</summary>
public sealed class RedisAuthCluster() : AuthCluster(redis: true);
