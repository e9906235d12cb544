using Cluster.Contracts;

namespace Cluster.Client;

/// <summary>How one task is submitted.</summary>
public sealed record SubmitOptions
{
    /// <summary>Retries and timeouts for this task alone. Default: the name's policy.</summary>
    public TaskPolicy? Policy { get; init; }

    /// <summary>
    /// Makes a repeated submit safe: within one executor, a submit with a key already used returns
    /// the same future; across executors and processes (within the coordinator's retention, 24 hours by
    /// default) the coordinator creates no second task and the new future fails with a
    /// <see cref="TaskRejectedException"/> (AlreadyExists) naming the task that holds the key.
    /// Default: none.
    /// </summary>
    public string? IdempotencyKey { get; init; }
}
