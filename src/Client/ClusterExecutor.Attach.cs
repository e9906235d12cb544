using System.Text.Json;
using Cluster.Contracts;
using Cluster.Protocol.V1;
using Grpc.Core;

namespace Cluster.Client;

public sealed partial class ClusterExecutor
{
    /// <summary>
    /// A future for a task submitted by any executor of the same identity (this one, another in
    /// this process, or one in another process, running or gone), as Celery's <c>AsyncResult(id)</c>:
    /// it resolves at once when the task finished within the coordinator's retention (its result,
    /// error or cancellation is kept that long), else when the task finishes. Cancelling it cancels
    /// the task. An id the identity has no task under (never submitted, or finished longer ago than
    /// the retention) fails the future with a <see cref="KeyNotFoundException"/> that names it.
    /// </summary>
    /// <typeparam name="TResult">The type the task's JSON result is read as.</typeparam>
    /// <param name="taskId">The task's id (<see cref="ClusterFuture.Id"/> of the future its submit returned).</param>
    /// <exception cref="ArgumentException"><paramref name="taskId"/> is empty.</exception>
    /// <exception cref="InvalidOperationException">The executor is shut down.</exception>
    public ClusterFuture<TResult> Attach<TResult>(string taskId)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        if (Volatile.Read(ref _shutdown) != 0)
        {
            throw new InvalidOperationException($"The executor is shut down: task {taskId} cannot be attached.");
        }
        if (_futures.TryGetValue(taskId, out var own) && own is ClusterFuture<TResult> same)
        {
            return same;
        }
        var key = taskId + AttachedSuffix + Interlocked.Increment(ref _sequence).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var future = new ClusterFuture<TResult>(this, taskId, string.Empty) { AnySession = true, Key = key };
        // Accepted already (by whichever executor submitted it): a cancel goes to the coordinator.
        future.TryMarkSent();
        future.MarkAccepted();
        _futures[key] = future;
        _ = AttachLoopAsync(future);
        return future;
    }

    /// <summary>
    /// <see cref="Attach{TResult}(string)"/> with the raw JSON result.
    /// </summary>
    /// <param name="taskId">The task's id.</param>
    public ClusterFuture<JsonElement> Attach(string taskId) => Attach<JsonElement>(taskId);

    // Attached futures are kept under their id and this suffix (no id holds a space), apart from
    // the futures of this executor's own submits, which its completion stream resolves by id.
    private const string AttachedSuffix = " attached ";

    /// <summary>Asks a coordinator for the task's completion until the future is done, failing over as the completion stream does.</summary>
    private async Task AttachLoopAsync(ClusterFuture future)
    {
        var token = _stop.Token;
        var backoff = new Backoff(RetryFirst, RetryMax);
        try
        {
            while (!future.Done && !token.IsCancellationRequested)
            {
                var client = Client;
                try
                {
                    var reply = await client.AttachAsync(new AttachRequest { TaskId = future.Id }, cancellationToken: token).ConfigureAwait(false);
                    future.Resolve(reply.Completion);
                    return;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
                {
                    future.Resolve(error: new KeyNotFoundException(e.Status.Detail));
                    return;
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument or StatusCode.PermissionDenied or StatusCode.Unauthenticated)
                {
                    future.Resolve(error: new ArgumentException(e.Status.Detail, "taskId"));
                    return;
                }
                catch (RpcException) when (!token.IsCancellationRequested)
                {
                    Failover(client);
                }
                await Task.Delay(backoff.Next(), token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (RpcException) when (token.IsCancellationRequested)
        {
        }
    }
}
