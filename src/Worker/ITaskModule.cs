namespace Cluster.Worker;

/// <summary>
/// A set of task handlers in a task assembly. The worker daemon loads every public type that
/// implements this (with a parameterless constructor) from each <c>--tasks</c> assembly.
/// </summary>
public interface ITaskModule
{
    void Register(TaskRegistry tasks);
}
