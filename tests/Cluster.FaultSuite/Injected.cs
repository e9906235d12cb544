namespace Cluster.FaultSuite;

/// <summary>
/// What a fault did, judged once the workload is done and its trace read (before the rig stops):
/// how many times it really happened, and whether it hit a given worker process — a task may run
/// again only when a run before its last began in a process the fault hit.
/// </summary>
internal sealed record Injected(Func<TraceCounts, int> Faults, Func<TraceCounts, Run, bool> Hit)
{
    /// <summary>
    /// A fault that happened (or not) and hit the runs that began in <paramref name="processes"/>
    /// (with <paramref name="until"/>, only those that began before that moment).
    /// </summary>
    public static Injected Hitting(bool happened, IEnumerable<int> processes, long until = long.MaxValue)
    {
        var hit = processes.ToHashSet();
        return new(_ => happened ? 1 : 0, (_, run) => hit.Contains(run.Pid) && run.Ticks < until);
    }

    /// <summary>A fault that happened (or not) and hit no worker process: no task may run twice.</summary>
    public static Injected Sparing(bool happened) => new(_ => happened ? 1 : 0, (_, _) => false);
}
