using Cluster.Contracts;

namespace Cluster.Worker;

/// <summary>What a handler knows about the task it runs. Declare a parameter of this type to receive it.</summary>
public sealed class TaskContext
{
    // Reports go to _progress with _progressState: a worker process passes one callback for all its
    // runs and the run as the state, so a context costs no closure of its own.
    private readonly Action<object?, double, string?>? _progress;
    private readonly object? _progressState;

    internal TaskContext(string taskId, string name, int attempt, CancellationToken cancellationToken, Action<double, string?>? progress = null)
        : this(taskId, name, attempt, cancellationToken, progress is null ? null : static (state, fraction, note) => ((Action<double, string?>)state!)(fraction, note), progress)
    {
    }

    internal TaskContext(string taskId, string name, int attempt, CancellationToken cancellationToken, Action<object?, double, string?>? progress, object? progressState)
    {
        TaskId = taskId;
        Name = name;
        Attempt = attempt;
        CancellationToken = cancellationToken;
        _progress = progress;
        _progressState = progressState;
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
        _progress?.Invoke(_progressState, fraction, message);
    }

    /// <summary>The worker process's calls to its coordinator for <see cref="GetQueue{T}(string, ClusterQueueOptions)"/>; null outside a worker process.</summary>
    internal Func<Grpc.Core.CallInvoker>? Queues { get; init; }

    /// <summary>
    /// The cluster's queue named <paramref name="name"/>, shared with every process of the worker's
    /// identity that opens it (clients through <c>ClusterExecutor.GetQueue</c>, other handlers): a
    /// handler produces into a queue another process consumes, or consumes one. The queue may
    /// outlive the run; its calls go over the worker process's own channel to its coordinator.
    /// </summary>
    /// <typeparam name="T">The type of the items (as JSON).</typeparam>
    /// <param name="name">The queue's name: 1 to 200 characters of A-Z a-z 0-9 _ . : / @ -.</param>
    /// <param name="maxSize">The most items it holds (puts wait for room); 0 for no bound. Default: 0.</param>
    /// <returns>The queue.</returns>
    /// <exception cref="InvalidOperationException">The context is not of a worker process's run.</exception>
    public ClusterQueue<T> GetQueue<T>(string name, int maxSize = 0) => GetQueue<T>(name, new ClusterQueueOptions { MaxSize = maxSize });

    /// <summary>The cluster's queue named <paramref name="name"/>, opened with <paramref name="options"/>; see <see cref="GetQueue{T}(string, int)"/>.</summary>
    /// <typeparam name="T">The type of the items (as JSON).</typeparam>
    /// <param name="name">The queue's name.</param>
    /// <param name="options">How it is opened (bound, at least once).</param>
    /// <returns>The queue.</returns>
    /// <exception cref="InvalidOperationException">The context is not of a worker process's run.</exception>
    public ClusterQueue<T> GetQueue<T>(string name, ClusterQueueOptions options) =>
        new(Queues ?? throw new InvalidOperationException("This task context is not of a worker process's run: it reaches no coordinator."), name, options);

    /// <summary>Where this handler is running right now.</summary>
    public static Executor CurrentExecutor => Internal.ExecutorThread.Current;
}
