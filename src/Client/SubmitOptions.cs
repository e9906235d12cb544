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
    /// Runs the task no earlier than this long after the coordinator stores it, measured by the
    /// store's clock (so a client whose clock is off moves nothing). Its future is
    /// <see cref="FutureState.Pending"/> until then, and it can be cancelled. At most 10 years; zero or
    /// less: at once. Not with <see cref="NotBefore"/>. Default: none.
    /// </summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>
    /// Runs the task no earlier than this time, by the store's clock; a time already past runs at
    /// once. Its future is <see cref="FutureState.Pending"/> until then, and it can be cancelled. Not
    /// with <see cref="Delay"/>. Default: none.
    /// </summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>The wire's not_before_unix_ms: 0 now, a time above 0, a delay below 0.</summary>
    internal long NotBeforeWire()
    {
        if (Delay is not null && NotBefore is not null)
        {
            throw new ArgumentException("Set SubmitOptions.Delay or SubmitOptions.NotBefore, not both.", "options");
        }
        if (Delay is { } delay)
        {
            if (delay > MaxDelay)
            {
                throw new ArgumentOutOfRangeException("options", delay, $"SubmitOptions.Delay is at most {MaxDelay.TotalDays:0} days.");
            }
            // Whole milliseconds, rounded up: never earlier than asked.
            return delay <= TimeSpan.Zero ? 0 : -(long)Math.Ceiling(delay.TotalMilliseconds);
        }
        if (NotBefore is { } at)
        {
            return Math.Max(1, at.ToUnixTimeMilliseconds());
        }
        return 0;
    }

    private static readonly TimeSpan MaxDelay = TimeSpan.FromDays(3653);

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
