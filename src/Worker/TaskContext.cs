namespace Cluster.Worker;

/// <summary>What a handler knows about the task it runs. Declare a parameter of this type to receive it.</summary>
public sealed class TaskContext
{
    internal TaskContext(string taskId, string name, int attempt, CancellationToken cancellationToken)
    {
        TaskId = taskId;
        Name = name;
        Attempt = attempt;
        CancellationToken = cancellationToken;
    }

    public string TaskId { get; }

    public string Name { get; }

    /// <summary>1 for the first run; higher when the task runs again after its worker vanished.</summary>
    public int Attempt { get; }

    /// <summary>Fires when the task is cancelled or the worker shuts down.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Where this handler is running right now.</summary>
    public static Executor CurrentExecutor => Internal.ExecutorThread.Current;
}
