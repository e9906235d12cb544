using System.Runtime.CompilerServices;
using System.Text.Json;
using Cluster.Contracts;

namespace Cluster.Client;

/// <summary>A future whose result is a <typeparamref name="T"/>, read from the task's JSON result.</summary>
public sealed class ClusterFuture<T> : ClusterFuture
{
    private readonly TaskCompletionSource<T> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal ClusterFuture(ClusterExecutor executor, string id, string name, bool chunked = false, TaskPolicy? policy = null)
        : base(executor, id, name, chunked, policy)
    {
    }

    private protected override Task Outcome => _outcome.Task;

    /// <summary>
    /// The task's result. Waits up to <paramref name="timeout"/> (null: forever): the calling thread
    /// first yields its core for up to 1 ms (threads with work run first), then blocks.
    /// </summary>
    /// <exception cref="TimeoutException">The task did not finish in time.</exception>
    /// <exception cref="OperationCanceledException">The future was cancelled.</exception>
    /// <exception cref="RemoteTaskException">The task's handler threw.</exception>
    public T Result(TimeSpan? timeout = null)
    {
        WaitDone(timeout);
        return _outcome.Task.GetAwaiter().GetResult();
    }

    /// <inheritdoc cref="ClusterFuture.AddDoneCallback(Action{ClusterFuture})"/>
    public void AddDoneCallback(Action<ClusterFuture<T>> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        base.AddDoneCallback((ClusterFuture _) => Invoke(callback, this));
    }

    /// <summary>
    /// Makes the future awaitable: <c>await future</c> waits without blocking and returns the result,
    /// or throws <see cref="RemoteTaskException"/> (the handler threw), <see cref="OperationCanceledException"/>
    /// (cancelled), <see cref="ClusterUnavailableException"/> or <see cref="TaskRejectedException"/> (never accepted).
    /// </summary>
    public TaskAwaiter<T> GetAwaiter() => _outcome.Task.GetAwaiter();

    /// <summary>The outcome as a Task: result, RemoteTaskException, or cancelled.</summary>
    public Task<T> AsTask() => _outcome.Task;

    private protected override bool Settle(ReadOnlyMemory<byte> result, Exception? error, bool cancelled)
    {
        var value = default(T)!;
        if (!cancelled && error is null)
        {
            try
            {
                value = JsonSerializer.Deserialize<T>(result.Span, ClusterJson.Options)!;
            }
            catch (JsonException e)
            {
                error = new InvalidCastException($"The result of task {Id} cannot be read as {typeof(T).Name}: {e.Message}", e);
            }
        }
        return Settle(_outcome, value, error, cancelled);
    }
}
