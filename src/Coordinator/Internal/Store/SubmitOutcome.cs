using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// What one submit call did: the tasks refused (position in the batch, and the task holding its
/// idempotency key, or empty when its id was taken), and those leased at once to a waiting worker.
/// </summary>
internal sealed record SubmitOutcome(IReadOnlyList<(int Index, string ExistingTaskId)> Refused, List<Assignment> Handed)
{
    /// <summary>Tasks refused because their name's queue held the most tasks allowed (position in the batch, and how many it held).</summary>
    public IReadOnlyList<(int Index, long Queued)> Full { get; init; } = [];
}
