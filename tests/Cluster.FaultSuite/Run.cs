namespace Cluster.FaultSuite;

/// <summary>One run of a task that began on a worker: the process it ran in, and when it began (<see cref="System.Diagnostics.Stopwatch"/> ticks, one clock for every process on the host).</summary>
internal readonly record struct Run(int Pid, long Ticks);
