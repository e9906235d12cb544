using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>Fewer replicas than `--replica-acks` acknowledged a script's writes in time.</summary>
internal sealed class ReplicaAcksException(string message) : RedisException(message);
