using System.Runtime.CompilerServices;
using System.Text.Json;
using Cluster.Client.Internal;
using Cluster.Contracts;

namespace Cluster.Client;

public sealed partial class ClusterExecutor
{
    /// <summary>
    /// Calls <paramref name="task"/> once per argument list, as concurrent.futures' <c>map</c>: every
    /// call is submitted now; the results come back lazily, in input order. A call's error is thrown
    /// when its result is reached; <paramref name="timeout"/> counts from this call, and a result
    /// that is not there by then throws TimeoutException. Leaving the enumeration early cancels the
    /// calls still queued. With <paramref name="chunkSize"/> &gt; 1, that many calls travel and run as
    /// one unit of work, which cuts the per-task overhead of many small calls.
    /// </summary>
    public IEnumerable<TResult> Map<TResult>(string task, IEnumerable<object?[]> args, TimeSpan? timeout = null, int chunkSize = 1)
    {
        var deadline = Deadline.After(timeout);
        var futures = SubmitAll<TResult>(task, args, chunkSize);
        return Iterate();

        IEnumerable<TResult> Iterate()
        {
            var next = 0;
            try
            {
                for (; next < futures.Count; next++)
                {
                    var future = futures[next];
                    if (!future.Chunked)
                    {
                        yield return ((ClusterFuture<TResult>)future).Result(deadline.Remaining);
                        continue;
                    }
                    var chunk = (ClusterFuture<JsonElement>)future;
                    foreach (var result in Unpack<TResult>(chunk, chunk.Result(deadline.Remaining)))
                    {
                        yield return result;
                    }
                }
            }
            finally
            {
                // From `next`: a call whose wait timed out or was cancelled is cancelled too, as in
                // concurrent.futures (one already read is done, and cancelling it does nothing).
                CancelRest(futures, next);
            }
        }
    }

    /// <inheritdoc cref="Map{TResult}(string, IEnumerable{object?[]}, TimeSpan?, int)"/>
    public IEnumerable<TResult> Map<TArg, TResult>(TaskDef<TArg, TResult> task, IEnumerable<TArg> args, TimeSpan? timeout = null, int chunkSize = 1)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(args);
        return Map<TResult>(task.Name, args.Select(a => new object?[] { a }), timeout, chunkSize);
    }

    /// <inheritdoc cref="Map{TResult}(string, IEnumerable{object?[]}, TimeSpan?, int)"/>
    public IAsyncEnumerable<TResult> MapAsync<TResult>(string task, IEnumerable<object?[]> args, TimeSpan? timeout = null, int chunkSize = 1, CancellationToken cancellationToken = default)
    {
        var deadline = Deadline.After(timeout);
        var futures = SubmitAll<TResult>(task, args, chunkSize);
        return Iterate(cancellationToken);

        async IAsyncEnumerable<TResult> Iterate([EnumeratorCancellation] CancellationToken token = default)
        {
            var next = 0;
            try
            {
                for (; next < futures.Count; next++)
                {
                    var future = futures[next];
                    await WaitDoneAsync(future, deadline, token).ConfigureAwait(false);
                    if (!future.Chunked)
                    {
                        yield return await ((ClusterFuture<TResult>)future).AsTask().ConfigureAwait(false);
                        continue;
                    }
                    var chunk = (ClusterFuture<JsonElement>)future;
                    foreach (var result in Unpack<TResult>(chunk, await chunk.AsTask().ConfigureAwait(false)))
                    {
                        yield return result;
                    }
                }
            }
            finally
            {
                // From `next`: a call whose wait timed out or was cancelled is cancelled too, as in
                // concurrent.futures (one already read is done, and cancelling it does nothing).
                CancelRest(futures, next);
            }
        }
    }

    private List<ClusterFuture> SubmitAll<TResult>(string task, IEnumerable<object?[]> args, int chunkSize)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (chunkSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, "chunkSize must be at least 1.");
        }
        TaskNames.Require(task);
        if (chunkSize == 1)
        {
            return args.Select(a => (ClusterFuture)Submit<TResult>(task, a)).ToList();
        }
        return args.Chunk(chunkSize).Select(calls => (ClusterFuture)SubmitChunk(task, calls)).ToList();
    }

    private static async Task WaitDoneAsync(ClusterFuture future, Deadline deadline, CancellationToken cancellationToken)
    {
        try
        {
            await future.DoneTask.WaitAsync(deadline.Remaining ?? Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Task {future.Id} did not finish before the map's timeout.");
        }
        catch (Exception) when (future.Done)
        {
            // Its outcome (error or cancellation) is thrown where its result is read.
        }
    }

    private static IEnumerable<TResult> Unpack<TResult>(ClusterFuture chunk, JsonElement results)
    {
        foreach (var entry in results.EnumerateArray())
        {
            if (entry.TryGetProperty("ok", out var value))
            {
                yield return value.Deserialize<TResult>(ClusterJson.Options)!;
            }
            else
            {
                var error = entry.GetProperty("error");
                throw new RemoteTaskException(chunk.Id, error.GetProperty("type").GetString() ?? "?", error.GetProperty("message").GetString() ?? string.Empty, error.GetProperty("stackTrace").GetString() ?? string.Empty, chunk.Attempt);
            }
        }
    }

    private static void CancelRest(List<ClusterFuture> futures, int from)
    {
        for (var i = from; i < futures.Count; i++)
        {
            // Best effort: a call that cannot be cancelled (running, or the coordinator is away) just finishes unread.
            futures[i].CancelAsync().ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }
}
