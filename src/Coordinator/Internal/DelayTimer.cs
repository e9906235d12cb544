namespace Cluster.Coordinator.Internal;

/// <summary>
/// When this coordinator next looks for delayed tasks that are due: the reaper sets it from the
/// store's answer (ms until the earliest one, by the store's clock), and a submit that delays a task
/// due sooner — here, or on any coordinator through the store's pub/sub — arms it earlier and wakes
/// the reaper. Times are this process's monotonic clock (<see cref="Environment.TickCount64"/>), set
/// from durations the store measured, so no host's wall clock is compared with the store's.
/// </summary>
internal sealed class DelayTimer
{
    private long _due = long.MaxValue;

    /// <summary>Set when the timer was armed earlier than it was.</summary>
    public Signal Wake { get; } = new();

    /// <summary>When to look next (<see cref="Environment.TickCount64"/>); <see cref="long.MaxValue"/>: nothing is delayed.</summary>
    public long Due => Volatile.Read(ref _due);

    /// <summary>What the store said: the earliest delayed task is due in <paramref name="next"/> (null: none is delayed).</summary>
    public void Set(TimeSpan? next) =>
        Volatile.Write(ref _due, next is { } n ? Environment.TickCount64 + (long)n.TotalMilliseconds : long.MaxValue);

    /// <summary>A task was delayed until <paramref name="inMs"/> ms from now: looks then, if that is sooner than the timer is set for.</summary>
    public void Arm(long inMs)
    {
        var target = Environment.TickCount64 + Math.Max(0, inMs);
        long current;
        do
        {
            current = Volatile.Read(ref _due);
            if (target >= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _due, target, current) != current);
        Wake.Set();
    }
}
