using System.Diagnostics;
using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;

namespace Cluster.IntegrationTests.Futures;

/// <summary>
/// Cancel in every state, as concurrent.futures.Future.cancel: true for a queued future (it never
/// runs) or one cancelled already; false for one running or done, which is left alone. With
/// interrupt, a running task also has its CancellationToken fired on its worker.
/// </summary>
public abstract class CancelTests<TCluster>(TCluster cluster) where TCluster : ClusterFixture
{
    [SkippableFact]
    public async Task Cancel_QueuedFuture_ReturnsTrue_AndTheFutureIsCancelled()
    {
        await using var scope = new FutureScope(cluster);
        var future = scope.Pending();
        // Stored by the coordinator, waiting in its queue: the cancel goes to the coordinator.
        await TaskTimeouts.Eventually(async () =>
        {
            var status = await cluster.Admin.StatusAsync(new StatusRequest());
            return status.Queues.Any(q => q.Name == future.Name && q.Queued >= 1);
        }, $"{future.Name} is queued");

        Assert.True(future.Cancel());

        Assert.Equal(FutureState.Cancelled, future.State);
        Assert.True(future.Cancelled);
        Assert.True(future.Done);
        Assert.ThrowsAny<OperationCanceledException>(() => future.Result(TimeSpan.Zero));
    }

    [SkippableFact]
    public async Task Cancel_RightAfterSubmit_ReturnsTrue()
    {
        await using var scope = new FutureScope(cluster);
        var futures = Enumerable.Range(0, 20).Select(_ => scope.Pending()).ToList();

        var results = await Task.WhenAll(futures.Select(f => f.CancelAsync())).WithTimeout();

        Assert.All(results, Assert.True);
        Assert.All(futures, f => Assert.Equal(FutureState.Cancelled, f.State));
        await TaskTimeouts.Eventually(() => Task.FromResult(scope.Executor.PendingCount == 0), "the executor holds no future");
    }

    [SkippableFact]
    public async Task Cancel_CancelledFuture_ReturnsTrueAgain()
    {
        await using var scope = new FutureScope(cluster);
        var future = await scope.CancelledAsync();

        Assert.True(future.Cancel());
        Assert.True(await future.CancelAsync().WithTimeout());
        Assert.True(await future.CancelAsync(interrupt: true).WithTimeout());
        Assert.Equal(FutureState.Cancelled, future.State);
    }

    [SkippableFact]
    public async Task Cancel_FromManyThreadsAtOnce_AllReturnTrue_AndTheFutureResolvesOnce()
    {
        await using var scope = new FutureScope(cluster);
        var future = scope.Pending();
        var callbacks = 0;
        future.AddDoneCallback(_ => Interlocked.Increment(ref callbacks));

        // Dedicated threads: eight blocked pool threads would starve the SDK's own continuations on a small machine.
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => OnOwnThread(future.Cancel))).WithTimeout();

        Assert.All(results, Assert.True);
        Assert.Equal(1, Volatile.Read(ref callbacks));
        Assert.Equal(FutureState.Cancelled, future.State);
    }

    [SkippableFact]
    public async Task Cancel_RunningFuture_ReturnsFalse_AndTheTaskRunsToItsResult()
    {
        await using var scope = new FutureScope(cluster);
        var gate = FutureScope.NewGate();
        var future = await scope.RunningUntilPutAsync(gate);

        Assert.False(future.Cancel());
        Assert.False(await future.CancelAsync().WithTimeout());
        Assert.False(future.Cancelled);
        Assert.Equal(FutureState.Running, future.State);

        await FutureScope.OpenGateAsync(scope.Executor, gate, 42);
        Assert.Equal(42, await future.WithTimeout());
        Assert.Equal(FutureState.Finished, future.State);
    }

    [SkippableFact]
    public async Task Cancel_FinishedFuture_ReturnsFalse_AndKeepsItsResult()
    {
        await using var scope = new FutureScope(cluster);
        var future = await scope.SucceededAsync(40, 2);

        Assert.False(future.Cancel());
        Assert.False(await future.CancelAsync().WithTimeout());
        Assert.False(await future.CancelAsync(interrupt: true).WithTimeout());

        Assert.Equal(FutureState.Finished, future.State);
        Assert.False(future.Cancelled);
        Assert.Equal(42, future.Result(TimeSpan.Zero));
    }

    [SkippableFact]
    public async Task Cancel_FailedFuture_ReturnsFalse_AndKeepsItsException()
    {
        await using var scope = new FutureScope(cluster);
        var future = await scope.FailedAsync("kept");

        Assert.False(future.Cancel());
        Assert.False(await future.CancelAsync(interrupt: true).WithTimeout());

        Assert.Equal(FutureState.Finished, future.State);
        Assert.Equal("kept", Assert.IsType<RemoteTaskException>(future.GetException(TimeSpan.Zero)).RemoteMessage);
    }

    [SkippableFact]
    public async Task CancelWithInterrupt_QueuedFuture_IsCancelled()
    {
        await using var scope = new FutureScope(cluster);
        var future = scope.Pending();

        Assert.True(await future.CancelAsync(interrupt: true).WithTimeout());

        Assert.Equal(FutureState.Cancelled, future.State);
    }

    [SkippableFact]
    public async Task CancelWithInterrupt_RunningSleepOnTheCoroutineLoop_EndsCancelled()
    {
        await using var scope = new FutureScope(cluster);
        var future = await scope.RunningSleepAsync();
        var watch = Stopwatch.StartNew();

        Assert.True(await future.CancelAsync(interrupt: true).WithTimeout());
        await future.WhenDone().WithTimeout();

        Assert.Equal(FutureState.Cancelled, future.State);
        Assert.ThrowsAny<OperationCanceledException>(() => future.Result(TimeSpan.Zero));
        Assert.ThrowsAny<OperationCanceledException>(() => future.GetException(TimeSpan.Zero));
        Assert.True(future.Cancel());
        // Stopped, not slept out.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"the interrupted sleep took {watch.Elapsed} to end");
    }

    [SkippableFact]
    public async Task CancelWithInterrupt_RunningSpinOnTheThreadPool_EndsCancelled()
    {
        await using var scope = new FutureScope(cluster);
        var future = await scope.RunningAsync(scope.Executor.Submit<int>("spin", 60_000));

        Assert.True(await future.CancelAsync(interrupt: true).WithTimeout());
        await future.WhenDone().WithTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(FutureState.Cancelled, future.State);
    }

    [SkippableFact]
    public async Task CancelWithInterrupt_TaskThatIgnoresTheToken_FinishesWithItsResult()
    {
        await using var scope = new FutureScope(cluster);
        // hang takes no CancellationToken: interrupted, it runs on to its result. It is seen running
        // (its started notice) before the interrupt is sent; its length is only the margin for that.
        var future = await scope.RunningAsync(scope.Executor.Submit<int>("hang", IgnoresTheToken.Ms));

        Assert.True(await future.CancelAsync(interrupt: true).WithTimeout());

        Assert.Equal(IgnoresTheToken.Ms, await future.WithTimeout());
        Assert.Equal(FutureState.Finished, future.State);
        Assert.False(future.Cancelled);
        Assert.False(future.Cancel());
    }

    private static Task<T> OnOwnThread<T>(Func<T> work)
    {
        var outcome = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                outcome.SetResult(work());
            }
            catch (Exception e)
            {
                outcome.SetException(e);
            }
        })
        { IsBackground = true };
        thread.Start();
        return outcome.Task;
    }
}

/// <summary>
/// A task that ignores its token (hang: a blocking sleep), long enough that its started notice
/// and an interrupt reach it well before it ends: ten times what the two take on a loaded machine.
/// </summary>
internal static class IgnoresTheToken
{
    public const int Ms = 5_000;
}

[Collection("futures")]
public sealed class EmbeddedStoreCancelTests(EmbeddedCluster cluster) : CancelTests<EmbeddedCluster>(cluster);

[Collection("futures-redis-cluster")]
public sealed class RedisClusterCancelTests(RedisClusterModeCluster cluster) : CancelTests<RedisClusterModeCluster>(cluster);
