using System.Diagnostics;

namespace Cluster.Coordinator.Internal.Services;

/// <summary>
/// Lets one log line through per window and counts the ones held back, so a caller that fails in a
/// loop (garbage frames, a store that is away) cannot flood the log.
/// </summary>
internal sealed class LineGate(TimeSpan window)
{
    private readonly long _window = (long)(window.TotalSeconds * Stopwatch.Frequency);
    private long _lastLogged;
    private int _held;

    /// <summary>True when a line may be logged now; <paramref name="held"/> is how many were held back since the last one.</summary>
    public bool TryPass(out int held)
    {
        var now = Stopwatch.GetTimestamp();
        var last = Volatile.Read(ref _lastLogged);
        if ((last == 0 || now - last >= _window) && Interlocked.CompareExchange(ref _lastLogged, now, last) == last)
        {
            held = Interlocked.Exchange(ref _held, 0);
            return true;
        }
        Interlocked.Increment(ref _held);
        held = 0;
        return false;
    }
}
