namespace Cluster.IntegrationTests.Worker;

public sealed class EmbeddedStoreWorkerProcessTests(EmbeddedWorkerCluster cluster) : WorkerProcessTests<EmbeddedWorkerCluster>(cluster), IClassFixture<EmbeddedWorkerCluster>;
