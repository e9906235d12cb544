using System.Text.Json;
using Cluster.Contracts;

namespace Cluster.Client;

/// <summary>
/// Submits tasks to the cluster and hands out futures, as <c>concurrent.futures.Executor</c>: the
/// whole surface of <see cref="ClusterExecutor"/>, so an application can take it from dependency
/// injection (<c>services.AddClusterClient(...)</c>) and a test can replace it.
/// </summary>
public interface IClusterExecutor : IDisposable, IAsyncDisposable
{
    /// <summary>This executor's session: the coordinator streams it the completions of its own tasks only.</summary>
    string SessionId { get; }

    /// <inheritdoc cref="ClusterExecutor.Schedules"/>
    IClusterSchedules Schedules { get; }

    /// <summary>Futures of this executor not yet done.</summary>
    int PendingCount { get; }

    /// <inheritdoc cref="ClusterExecutor.Submit{TResult}(string, object?[])"/>
    ClusterFuture<TResult> Submit<TResult>(string task, params object?[] args);

    /// <inheritdoc cref="ClusterExecutor.Submit{TResult}(SubmitOptions, string, object?[])"/>
    ClusterFuture<TResult> Submit<TResult>(SubmitOptions options, string task, params object?[] args);

    /// <inheritdoc cref="ClusterExecutor.Submit{TResult}(TaskPolicy, string, object?[])"/>
    ClusterFuture<TResult> Submit<TResult>(TaskPolicy policy, string task, params object?[] args);

    /// <inheritdoc cref="ClusterExecutor.Submit{TArg, TResult}(TaskDef{TArg, TResult}, TArg, TaskPolicy?)"/>
    ClusterFuture<TResult> Submit<TArg, TResult>(TaskDef<TArg, TResult> task, TArg arg, TaskPolicy? policy = null);

    /// <inheritdoc cref="ClusterExecutor.Submit{TResult}(TaskDef{TResult})"/>
    ClusterFuture<TResult> Submit<TResult>(TaskDef<TResult> task);

    /// <inheritdoc cref="ClusterExecutor.Submit(string, object?[])"/>
    ClusterFuture<JsonElement> Submit(string task, params object?[] args);

    /// <inheritdoc cref="ClusterExecutor.Attach{TResult}(string)"/>
    ClusterFuture<TResult> Attach<TResult>(string taskId);

    /// <inheritdoc cref="ClusterExecutor.Attach(string)"/>
    ClusterFuture<JsonElement> Attach(string taskId);

    /// <inheritdoc cref="ClusterExecutor.GetQueue{T}(string, int)"/>
    ClusterQueue<T> GetQueue<T>(string name, int maxSize = 0);

    /// <inheritdoc cref="ClusterExecutor.GetQueue{T}(string, ClusterQueueOptions)"/>
    ClusterQueue<T> GetQueue<T>(string name, ClusterQueueOptions options);

    /// <inheritdoc cref="ClusterExecutor.Map{TResult}(string, IEnumerable{object?[]}, TimeSpan?, int)"/>
    IEnumerable<TResult> Map<TResult>(string task, IEnumerable<object?[]> args, TimeSpan? timeout = null, int chunkSize = 1);

    /// <inheritdoc cref="ClusterExecutor.Map{TArg, TResult}(TaskDef{TArg, TResult}, IEnumerable{TArg}, TimeSpan?, int)"/>
    IEnumerable<TResult> Map<TArg, TResult>(TaskDef<TArg, TResult> task, IEnumerable<TArg> args, TimeSpan? timeout = null, int chunkSize = 1);

    /// <inheritdoc cref="ClusterExecutor.MapAsync{TResult}(string, IEnumerable{object?[]}, TimeSpan?, int, CancellationToken)"/>
    IAsyncEnumerable<TResult> MapAsync<TResult>(string task, IEnumerable<object?[]> args, TimeSpan? timeout = null, int chunkSize = 1, CancellationToken cancellationToken = default);

    /// <inheritdoc cref="ClusterExecutor.Shutdown(bool, bool)"/>
    void Shutdown(bool wait = true, bool cancelFutures = false);

    /// <inheritdoc cref="ClusterExecutor.ShutdownAsync(bool, bool)"/>
    Task ShutdownAsync(bool wait = true, bool cancelFutures = false);
}
