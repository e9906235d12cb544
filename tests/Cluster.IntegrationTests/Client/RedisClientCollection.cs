using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Client;

/// <summary>The client's tests on a real redis-server share one cluster, as those on the embedded store share the "futures" one.</summary>
[CollectionDefinition("client on redis-server")]
public sealed class RedisClientCollection : ICollectionFixture<RedisCluster>;
