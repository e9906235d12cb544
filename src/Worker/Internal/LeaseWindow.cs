using System.Diagnostics;

namespace Cluster.Worker.Internal;

/// <summary>
/// How many thread-pool tasks a worker process holds and asks for at once: its threads, plus a
/// number leased ahead per thread that follows the tasks it runs. Short tasks need many ahead, or
/// threads sit idle while credits travel to the coordinator and tasks travel back; long ones need
/// one, and each more is a task that waits here while another worker may be idle. So the process
/// leases ahead about <see cref="AheadTime"/> of work per thread, by the run time of its recent
/// tasks: at least one task, at most the prefetch it was given, and at most
/// <see cref="AheadBytes"/> of arguments in all.
/// </summary>
/// <remarks>
/// The coordinator knows only the capacity the hello declares (threads × (1 + prefetch)) and the
/// credits it is sent. The window is kept by credits held back: the capacity less the window
/// stays here, out of the coordinator's reach, and a freed slot's credit is held back while the
/// window is narrower than what circulates, or more are sent when it widens. Not thread-safe:
/// the worker calls it under its slots lock.
/// A run's time is known when it ends: a worker whose window short tasks widened leases long ones
/// by that window until the first of them ends, and holds what it leased; narrowing holds back
/// only the credits freed after.
/// </remarks>
internal sealed class LeaseWindow
{
    /// <summary>Work leased ahead per thread, in run time of the recent tasks.</summary>
    public static readonly TimeSpan AheadTime = TimeSpan.FromMilliseconds(50);

    /// <summary>Arguments leased ahead in all, by the size of the recent tasks' arguments.</summary>
    public const long AheadBytes = 64L * 1024 * 1024;

    // Each run moves the averages an eighth of the way to it.
    private const double Weight = 1.0 / 8;

    private readonly int _threads;
    private readonly int _maxAhead;
    private double _runTicks = -1;
    private double _argBytes = -1;
    // Credits of the capacity not given to the coordinator.
    private int _withheld;

    public LeaseWindow(int threads, int maxAheadPerThread)
    {
        _threads = threads;
        _maxAhead = maxAheadPerThread;
        Capacity = (int)WorkerOptions.ThreadSlots(threads, maxAheadPerThread);
        // Until a task has run, one ahead per thread: a backlog of long tasks is not hoarded by
        // the first worker to say hello.
        Target = threads * (1 + Math.Min(1, maxAheadPerThread));
    }

    /// <summary>The most it may hold: what the hello declares.</summary>
    public int Capacity { get; }

    /// <summary>What it means to hold now, tasks and credits together.</summary>
    public int Target { get; private set; }

    /// <summary>A new connection's first grant, with <paramref name="busy"/> slots still held by runs of an earlier one.</summary>
    public int FirstGrant(int busy)
    {
        var grant = Math.Max(0, Target - busy);
        _withheld = Capacity - busy - grant;
        return grant;
    }

    /// <summary>The credits to send of <paramref name="credits"/> freed: fewer while the window narrows, more once it widens.</summary>
    public int Settle(int credits)
    {
        // Negative once the window widened: what was held back beyond it goes out too.
        var keep = Math.Min(credits, Capacity - Target - _withheld);
        _withheld += keep;
        return credits - keep;
    }

    /// <summary>A run ended after <paramref name="ticks"/> (Stopwatch ticks) with arguments of <paramref name="argBytes"/> bytes.</summary>
    public void Ran(long ticks, int argBytes)
    {
        _runTicks = _runTicks < 0 ? ticks : _runTicks + ((ticks - _runTicks) * Weight);
        _argBytes = _argBytes < 0 ? argBytes : _argBytes + ((argBytes - _argBytes) * Weight);
        var byTime = AheadTime.TotalSeconds * Stopwatch.Frequency / Math.Max(1, _runTicks);
        var byBytes = AheadBytes / (double)_threads / Math.Max(1, _argBytes);
        var ahead = (int)Math.Min(_maxAhead, Math.Max(1, Math.Min(byTime, byBytes)));
        Target = _threads * (1 + ahead);
    }
}
