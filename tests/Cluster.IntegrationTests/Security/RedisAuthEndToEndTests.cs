namespace Cluster.IntegrationTests.Security;

public sealed class RedisAuthEndToEndTests(RedisAuthCluster cluster) : AuthEndToEndTests<RedisAuthCluster>(cluster), IClassFixture<RedisAuthCluster>;
