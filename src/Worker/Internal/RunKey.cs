namespace Cluster.Worker.Internal;

/// <summary>
/// One run of a task: its id and the attempt (the lease's fencing token). A task whose lease
/// expired can be leased again to the same process while its first run still goes on; the two
/// runs are apart by attempt.
/// </summary>
internal readonly record struct RunKey(string TaskId, int Attempt);
