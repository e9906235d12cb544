using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Order;

/// <summary>
/// A cluster whose own worker process listens only to the queue "parked", so a test's tasks in a
/// queue of its own wait until the test starts a worker listening to it.
/// </summary>
public abstract class OrderCluster(bool redis) : ClusterFixture(processes: 1, redis, "--queues", "parked");

/// <summary><see cref="OrderCluster"/> on the embedded store.</summary>
public sealed class EmbeddedOrderCluster() : OrderCluster(redis: false);

/// <summary><see cref="OrderCluster"/> on a real redis-server.</summary>
public sealed class RedisOrderCluster() : OrderCluster(redis: true);
