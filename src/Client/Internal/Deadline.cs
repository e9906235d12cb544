using System.Diagnostics;

namespace Cluster.Client.Internal;

/// <summary>A point in time a wait must not pass; none when the timeout is null.</summary>
internal readonly struct Deadline
{
    private readonly long _at;

    private Deadline(long at) => _at = at;

    public static Deadline After(TimeSpan? timeout) =>
        new(timeout is null ? long.MaxValue : Stopwatch.GetTimestamp() + (long)(Math.Max(0, timeout.Value.TotalSeconds) * Stopwatch.Frequency));

    /// <summary>Time left (never negative), or null for no limit.</summary>
    public TimeSpan? Remaining => _at == long.MaxValue ? null : TimeSpan.FromSeconds(Math.Max(0, _at - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
}
