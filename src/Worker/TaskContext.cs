namespace Cluster.Worker;

/// <summary>What a handler knows about the task it runs. Declare a parameter of this type to receive it.</summary>
public sealed class TaskContext
{
    private readonly Action<double, string?>? _progress;

    internal TaskContext(string taskId, string name, int attempt, CancellationToken cancellationToken, Action<double, string?>? progress = null)
    {
        TaskId = taskId;
        Name = name;
        Attempt = attempt;
        CancellationToken = cancellationToken;
        _progress = progress;
    }

    /// <summary>The task's id, unique in the cluster: the same on every attempt, and the same the client's future holds.</summary>
    public string TaskId { get; }

    /// <summary>The task name the handler was registered under.</summary>
    public string Name { get; }

    /// <summary>1 for the first run; higher when the task runs again after its worker vanished.</summary>
    public int Attempt { get; }

    /// <summary>
    /// The services of this run's own scope, in a worker hosted with <c>services.AddClusterWorker(...)</c>
    /// (the scope is disposed when the run ends); null in a worker without dependency injection.
    /// </summary>
    public IServiceProvider? Services { get; internal set; }

    /// <summary>Fires when the task is cancelled or the worker shuts down.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>
    /// Tells the client how far the task has come. Cheap to call often: only the latest report
    /// travels, at most every 25 ms.
    /// </summary>
    /// <param name="fraction">Between 0 and 1.</param>
    /// <param name="message">An optional note, e.g. "resized 3 of 8".</param>
    public void ReportProgress(double fraction, string? message = null)
    {
        if (double.IsNaN(fraction) || fraction < 0 || fraction > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "Progress is a fraction between 0 and 1.");
        }
        _progress?.Invoke(fraction, message);
    }

    /// <summary>Where this handler is running right now.</summary>
    public static Executor CurrentExecutor => Internal.ExecutorThread.Current;
}
