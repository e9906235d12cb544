namespace Cluster.IntegrationTests.Worker;

public sealed class RedisServerWorkerProcessTests(RedisWorkerCluster cluster) : WorkerProcessTests<RedisWorkerCluster>(cluster), IClassFixture<RedisWorkerCluster>;
