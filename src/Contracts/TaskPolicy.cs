namespace Cluster.Contracts;

/// <summary>
/// How often a task may run and for how long: given per task at submit, or per name when a worker
/// registers its handler. Unset members keep the name's policy, then the defaults.
/// </summary>
public sealed record TaskPolicy
{
    /// <summary>Runs that may end in a retryable error before the task fails. Default: 1 (no retry).</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>Exception type full names worth another attempt (e.g. "System.IO.IOException"); "*" for any. Default: none.</summary>
    public IReadOnlyList<string>? RetryOn { get; init; }

    /// <summary>Wait before the first retry, doubled each time, with jitter. Default: 1 second.</summary>
    public TimeSpan? Backoff { get; init; }

    /// <summary>Longest wait between retries. Default: 60 seconds.</summary>
    public TimeSpan? MaxBackoff { get; init; }

    /// <summary>After this long the handler's CancellationToken fires and the attempt fails with a TimeoutException. Default: none.</summary>
    public TimeSpan? SoftTimeout { get; init; }

    /// <summary>A handler still running this long after it started ends its worker process (the daemon starts a new one); the attempt fails with Cluster.HardTimeout. Default: none.</summary>
    public TimeSpan? HardTimeout { get; init; }

    /// <summary>Times the task may run again because its worker vanished, before it is dead-lettered. Default: 3.</summary>
    public int? MaxLostRuns { get; init; }

    /// <summary>
    /// At most this many tasks of the name start per interval, across the cluster (a token bucket in
    /// the store, consulted by every lease; the bucket starts full, so a burst of up to the count goes
    /// at once). Read from the policy a worker registers for the name; ignored on a task's own
    /// policy. Default: no limit.
    /// </summary>
    public RateLimit? RateLimit { get; init; }
}
