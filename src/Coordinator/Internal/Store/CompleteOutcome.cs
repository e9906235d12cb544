namespace Cluster.Coordinator.Internal.Store;

/// <summary>What one complete call did: results accepted (of which retrying and dead-lettered) and stale ones dropped.</summary>
internal readonly record struct CompleteOutcome(int Accepted, int Stale, int Retrying, int DeadLettered);
