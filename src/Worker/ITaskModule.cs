namespace Cluster.Worker;

/// <summary>
/// A set of task handlers in a task assembly. The worker daemon loads every public type that
/// implements this (with a parameterless constructor) from each <c>--tasks</c> assembly.
/// </summary>
public interface ITaskModule
{
    /// <summary>Registers this module's handlers in <paramref name="tasks"/>: their names, delegates and policies.</summary>
    void Register(TaskRegistry tasks);
}
