namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// What one submit of tasks with inputs did: the tasks refused (position in the batch, a gRPC status
/// code name and a message naming the problem); every other task is stored, or ended at once with its
/// failed or cancelled input's outcome.
/// </summary>
internal sealed record GraphOutcome(IReadOnlyList<(int Index, string Code, string Message)> Refused);
