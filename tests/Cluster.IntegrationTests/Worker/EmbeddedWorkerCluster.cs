namespace Cluster.IntegrationTests.Worker;

/// <summary><see cref="WorkerCluster"/> on the embedded store.</summary>
public sealed class EmbeddedWorkerCluster() : WorkerCluster(redis: false);
