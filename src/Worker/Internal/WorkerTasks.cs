using Cluster.Contracts;

namespace Cluster.Worker.Internal;

/// <summary>What a hosted worker runs: the task modules and handlers its builder was given.</summary>
internal sealed class WorkerTasks
{
    public List<Type> Modules { get; } = [];

    public List<(string Name, Delegate Handler, TaskPolicy? Policy)> Handlers { get; } = [];
}
