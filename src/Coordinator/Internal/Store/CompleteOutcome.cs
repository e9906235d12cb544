namespace Cluster.Coordinator.Internal.Store;

/// <summary>What one complete call did: results accepted (of which retrying and dead-lettered) and stale ones dropped.</summary>
internal readonly record struct CompleteOutcome(int Accepted, int Stale, int Retrying, int DeadLettered)
{
    /// <summary>What became of each result, in order: c committed (a value or a final error), r retrying, d dead-lettered, s stale.</summary>
    public string Codes { get; init; } = string.Empty;
}
