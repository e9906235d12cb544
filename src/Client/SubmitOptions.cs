using Cluster.Contracts;

namespace Cluster.Client;

/// <summary>How one task is submitted.</summary>
public sealed record SubmitOptions
{
    /// <summary>Retries and timeouts for this task alone. Default: the name's policy.</summary>
    public TaskPolicy? Policy { get; init; }

    /// <summary>
    /// Makes a repeated submit safe: within one executor, a submit with the key of a future still
    /// pending returns that future; otherwise — the future is done (the executor keeps a key only while
    /// its future is pending, so its memory follows the pending work), or another executor or process
    /// used the key — the coordinator, which keeps the key for its retention (24 hours by default),
    /// creates no second task and the new future fails with a <see cref="TaskRejectedException"/>
    /// (AlreadyExists) naming the task that holds the key. Default: none.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>
    /// Who goes first among the ready tasks of the same name and queue: 0 (lowest) to 9 (highest).
    /// A level is a head start of 100,000 tasks per session, not an absolute rank, so a lower
    /// priority cannot starve. Default: 5.
    /// </summary>
    public int Priority { get; init; } = 5;

    /// <summary>
    /// The queue the task waits in: only workers listening to it (<c>WorkerOptions.Queues</c>,
    /// <c>cluster worker --queues</c>) run it; while none does, it waits and <c>cluster status</c>
    /// shows the queue. 1 to 64 letters, digits or <c>_ . -</c>. Default: "default".
    /// </summary>
    public string? Queue { get; init; }
}
