namespace Cluster.IntegrationTests.Worker;

/// <summary><see cref="WorkerCluster"/> on a real redis-server.</summary>
public sealed class RedisWorkerCluster() : WorkerCluster(redis: true);
