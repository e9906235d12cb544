namespace Cluster.Contracts;

/// <summary>
/// The waits of a retry or reconnect loop — the one every loop of the client, the worker and the
/// coordinator uses: doubled after each failure from <c>first</c> up to <c>max</c>, each jittered by
/// ±50% so that many peers retrying at once spread out. Mutable: keep it in a local.
/// </summary>
public struct Backoff(TimeSpan first, TimeSpan max)
{
    private int _failures;

    /// <summary>The wait after one more failure.</summary>
    public TimeSpan Next() => After(first, max, ++_failures);

    /// <summary>Back to the first wait, after a success.</summary>
    public void Reset() => _failures = 0;

    /// <summary>The wait after <paramref name="failures"/> failures in a row.</summary>
    public static TimeSpan After(TimeSpan first, TimeSpan max, int failures)
    {
        var ticks = Math.Min(max.Ticks, first.Ticks << Math.Clamp(failures - 1, 0, 20));
        return TimeSpan.FromTicks((long)(ticks * (0.5 + Random.Shared.NextDouble())));
    }
}
