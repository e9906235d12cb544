using System.Diagnostics;
using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Futures;

/// <summary>
/// Shutdown, as concurrent.futures.Executor.shutdown: no submits after it; wait=True returns once
/// every future is done; cancel_futures=True cancels the queued ones first (running ones finish);
/// wait=False returns at once and the futures still resolve.
/// </summary>
[Collection("futures")]
public sealed class ShutdownTests(EmbeddedCluster cluster)
{
    [Fact]
    public async Task Submit_AfterShutdown_ThrowsInvalidOperationException()
    {
        await using var scope = new FutureScope(cluster);
        scope.Executor.Shutdown();

        Assert.Throws<InvalidOperationException>(() => scope.Executor.Submit<long>("add", 1, 2));
        Assert.Throws<InvalidOperationException>(() => scope.Executor.Submit("echo", 1));
        Assert.Throws<InvalidOperationException>(() => scope.Executor.Submit(SampleTasks.Contracts.MathTasks.Fib, 3));
        Assert.Throws<InvalidOperationException>(() => scope.Executor.Map<long>("fib", [[1], [2]]));
    }

    [Fact]
    public async Task Submit_AfterDispose_ThrowsInvalidOperationException()
    {
        var executor = cluster.NewExecutor();
        Assert.Equal(3, await executor.Submit<long>("add", 1, 2).WithTimeout());

        await executor.DisposeAsync().AsTask().WithTimeout();

        Assert.Throws<InvalidOperationException>(() => executor.Submit<long>("add", 1, 2));
    }

    [Fact]
    public async Task ShutdownWithWait_ReturnsOnceEveryFutureIsDone()
    {
        await using var scope = new FutureScope(cluster);
        var sleeping = scope.Executor.Submit<double>("sleep", 0.5);
        var adding = Enumerable.Range(0, 50).Select(i => scope.Executor.Submit<long>("add", i, 1)).ToList();

        await Task.Run(() => scope.Executor.Shutdown(wait: true)).WithTimeout();

        Assert.True(sleeping.Done);
        Assert.All(adding, f => Assert.True(f.Done));
        Assert.Equal(0.5, sleeping.Result(TimeSpan.Zero));
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), adding.Select(f => f.Result(TimeSpan.Zero)));
        Assert.Equal(0, scope.Executor.PendingCount);
    }

    [Fact]
    public async Task ShutdownAsyncWithWait_CompletesOnlyWhenTheLastFutureIsDone()
    {
        await using var scope = new FutureScope(cluster);
        var running = await scope.RunningSleepAsync();

        var shutdown = scope.Executor.ShutdownAsync(wait: true);
        Assert.False(shutdown.IsCompleted);
        Assert.Throws<InvalidOperationException>(() => scope.Executor.Submit<long>("add", 1, 2));

        // The streams stay open after shutdown until the last future is done, so it can still be cancelled.
        Assert.True(await running.CancelAsync(interrupt: true).WithTimeout());
        await shutdown.WithTimeout();

        Assert.Equal(FutureState.Cancelled, running.State);
    }

    [Fact]
    public async Task ShutdownWithCancelFutures_CancelsTheQueuedOnes_AndTheRunningOneFinishes()
    {
        await using var scope = new FutureScope(cluster);
        await using var other = new FutureScope(cluster);
        var gate = FutureScope.NewGate();
        var running = await scope.RunningUntilPutAsync(gate);
        var queued = Enumerable.Range(0, 5).Select(_ => scope.Pending()).ToList();

        var shutdown = Task.Run(() => scope.Executor.Shutdown(wait: true, cancelFutures: true));
        await TaskTimeouts.Eventually(() => Task.FromResult(queued.All(f => f.Cancelled)), "the queued futures are cancelled");
        // the shutdown waits for the running one, which runs until its gate opens
        Assert.False(shutdown.IsCompleted);
        Assert.Equal(FutureState.Running, running.State);
        await FutureScope.OpenGateAsync(other.Executor, gate, 7);
        await shutdown.WithTimeout();

        Assert.All(queued, f => Assert.Equal(FutureState.Cancelled, f.State));
        Assert.Equal(FutureState.Finished, running.State);
        Assert.Equal(7, running.Result(TimeSpan.Zero));
    }

    [Fact]
    public async Task ShutdownWithoutWait_ReturnsAtOnce_AndTheFuturesStillResolve()
    {
        await using var scope = new FutureScope(cluster);
        var sleeping = scope.Executor.Submit<double>("sleep", 0.5);
        var pending = scope.Pending();
        var watch = Stopwatch.StartNew();

        scope.Executor.Shutdown(wait: false);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.False(sleeping.Done);
        Assert.False(pending.Done);
        Assert.Throws<InvalidOperationException>(() => scope.Executor.Submit<long>("add", 1, 2));
        Assert.Equal(0.5, await sleeping.WithTimeout());
        Assert.True(await pending.CancelAsync().WithTimeout());
    }

    [Fact]
    public async Task ShutdownWithoutWait_WithCancelFutures_CancelsTheQueuedOnesBeforeReturning()
    {
        await using var scope = new FutureScope(cluster);
        var queued = Enumerable.Range(0, 5).Select(_ => scope.Pending()).ToList();
        var running = await scope.RunningSleepAsync();

        await Task.Run(() => scope.Executor.Shutdown(wait: false, cancelFutures: true)).WithTimeout();

        Assert.All(queued, f => Assert.Equal(FutureState.Cancelled, f.State));
        Assert.Equal(FutureState.Running, running.State);
        Assert.True(await running.CancelAsync(interrupt: true).WithTimeout());
        await running.WhenDone().WithTimeout();
        Assert.Equal(FutureState.Cancelled, running.State);
    }

    [Fact]
    public async Task Shutdown_CanBeCalledAgain_AndDisposeAfterItIsFine()
    {
        var executor = cluster.NewExecutor();
        var future = executor.Submit<long>("add", 5, 6);

        await Task.Run(() => executor.Shutdown()).WithTimeout();
        await Task.Run(() => executor.Shutdown(wait: false)).WithTimeout();
        await executor.ShutdownAsync().WithTimeout();
        await Task.Run(executor.Dispose).WithTimeout();
        await executor.DisposeAsync().AsTask().WithTimeout();

        Assert.Equal(11, future.Result(TimeSpan.Zero));
    }

    [Fact]
    public async Task Dispose_WaitsForEveryFuture_AsShutdownWithWait()
    {
        var executor = cluster.NewExecutor();
        var sleeping = executor.Submit<double>("sleep", 0.3);

        await executor.DisposeAsync().AsTask().WithTimeout();

        Assert.True(sleeping.Done);
        Assert.Equal(0.3, sleeping.Result(TimeSpan.Zero));
    }

    [Fact]
    public async Task Shutdown_OfAnExecutorThatSubmittedNothing_ReturnsAtOnce()
    {
        var executor = cluster.NewExecutor();

        await Task.Run(() => executor.Shutdown()).WithTimeout();

        Assert.Equal(0, executor.PendingCount);
        Assert.Throws<InvalidOperationException>(() => executor.Submit<long>("add", 1, 2));
    }
}
