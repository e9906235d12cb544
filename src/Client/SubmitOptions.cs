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
}
