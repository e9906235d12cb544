namespace Cluster.SampleTasks.Contracts;

/// <summary>Where a task ran.</summary>
/// <param name="Executor">"ThreadPool" or "CoroutineLoop": observed from the running thread, not declared.</param>
public sealed record WhoAmI(string Host, int ProcessId, string Executor, string Thread);
