using System.Collections.Concurrent;

namespace Cluster.Client.Internal;

/// <summary>Futures in the order they finish; ones already done come first, in the order given.</summary>
internal sealed class CompletionQueue<TFuture> where TFuture : ClusterFuture
{
    private readonly ConcurrentQueue<TFuture> _done = new();
    private readonly SemaphoreSlim _count = new(0);

    public CompletionQueue(IEnumerable<TFuture> futures)
    {
        foreach (var future in futures)
        {
            future.DoneTask.ContinueWith(
                static (_, state) =>
                {
                    var (queue, f) = ((CompletionQueue<TFuture>, TFuture))state!;
                    queue._done.Enqueue(f);
                    queue._count.Release();
                },
                (this, future),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    /// <summary>The next future to finish, waiting up to <paramref name="timeout"/> (null: forever); false on timeout.</summary>
    public bool TryTake(TimeSpan? timeout, out TFuture future)
    {
        future = null!;
        if (!_count.Wait(Clamp(timeout)))
        {
            return false;
        }
        return _done.TryDequeue(out future!);
    }

    /// <inheritdoc cref="TryTake"/>
    public async Task<TFuture?> TakeAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (!await _count.WaitAsync(Clamp(timeout), cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        _done.TryDequeue(out var future);
        return future;
    }

    private static TimeSpan Clamp(TimeSpan? timeout) =>
        timeout is null ? Timeout.InfiniteTimeSpan : timeout.Value < TimeSpan.Zero ? TimeSpan.Zero : timeout.Value;
}
