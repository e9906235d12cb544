using System.Collections.Concurrent;
using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Cluster.IntegrationTests.Futures;

/// <summary>
/// Done-callbacks, as concurrent.futures.Future.add_done_callback: run once each, in the order
/// added, after the future reached its final state; at once when added to a future already done;
/// a callback that throws is logged and stops neither the others nor the caller.
/// </summary>
[Collection("futures")]
public sealed class CallbackTests(EmbeddedCluster cluster)
{
    [Fact]
    public async Task Callbacks_RunInTheOrderAdded_OnceEach_WhenTheTaskFinishes()
    {
        await using var scope = new FutureScope(cluster);
        var future = scope.Executor.Submit<double>("sleep", 0.3);
        var calls = new ConcurrentQueue<int>();
        var last = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (var i = 1; i <= 5; i++)
        {
            var n = i;
            future.AddDoneCallback(_ => calls.Enqueue(n));
        }
        future.AddDoneCallback(_ => last.SetResult());

        await last.Task.WithTimeout();

        Assert.Equal([1, 2, 3, 4, 5], calls);
        Assert.Equal(0.3, await future.WithTimeout());
        // Nothing that happens to a done future runs them again.
        Assert.False(await future.CancelAsync().WithTimeout());
        Assert.Equal([1, 2, 3, 4, 5], calls);
    }

    [Fact]
    public async Task Callbacks_RunInOrder_WhenTheFutureIsCancelled()
    {
        await using var scope = new FutureScope(cluster);
        var future = scope.Pending();
        var calls = new ConcurrentQueue<string>();
        future.AddDoneCallback(f => calls.Enqueue("first " + f.State));
        future.AddDoneCallback((ClusterFuture f) => calls.Enqueue("second " + f.State));
        future.AddDoneCallback(f => calls.Enqueue("third " + f.State));

        Assert.True(future.Cancel());
        Assert.True(future.Cancel());

        // Cancelling resolves the future on the calling thread: the callbacks have run when Cancel returns.
        Assert.Equal(["first Cancelled", "second Cancelled", "third Cancelled"], calls);
    }

    [Fact]
    public async Task Callback_SeesTheFutureDone_WithItsResult()
    {
        await using var scope = new FutureScope(cluster);
        var future = scope.Executor.Submit<long>("add", 19, 23);
        var seen = new TaskCompletionSource<(bool Done, FutureState State, long Result)>(TaskCreationOptions.RunContinuationsAsynchronously);

        future.AddDoneCallback(f => seen.SetResult((f.Done, f.State, f.Result(TimeSpan.Zero))));

        var (done, state, result) = await seen.Task.WithTimeout();
        Assert.True(done);
        Assert.Equal(FutureState.Finished, state);
        Assert.Equal(42, result);
    }

    [Fact]
    public async Task Callback_SeesTheFutureDone_WithItsException()
    {
        await using var scope = new FutureScope(cluster);
        var future = scope.Executor.Submit<int>("fail", "seen by the callback");
        var seen = new TaskCompletionSource<(bool Done, FutureState State, Exception? Error)>(TaskCreationOptions.RunContinuationsAsynchronously);

        future.AddDoneCallback(f => seen.SetResult((f.Done, f.State, f.GetException(TimeSpan.Zero))));

        var (done, state, error) = await seen.Task.WithTimeout();
        Assert.True(done);
        Assert.Equal(FutureState.Finished, state);
        Assert.Equal("seen by the callback", Assert.IsType<RemoteTaskException>(error).RemoteMessage);
    }

    [Fact]
    public async Task Callback_SeesTheFutureCancelled()
    {
        await using var scope = new FutureScope(cluster);
        var future = await scope.RunningSleepAsync();
        var seen = new TaskCompletionSource<(bool Done, bool Cancelled, bool Running)>(TaskCreationOptions.RunContinuationsAsynchronously);
        future.AddDoneCallback(f => seen.SetResult((f.Done, f.Cancelled, f.Running)));

        Assert.True(await future.CancelAsync(interrupt: true).WithTimeout());

        Assert.Equal((true, true, false), await seen.Task.WithTimeout());
    }

    [Fact]
    public async Task Callback_AddedToAFutureAlreadyDone_RunsAtOnce_OnTheCallingThread()
    {
        await using var scope = new FutureScope(cluster);
        ClusterFuture[] done = [await scope.SucceededAsync(), await scope.FailedAsync(), await scope.CancelledAsync()];

        foreach (var future in done)
        {
            int? thread = null;
            future.AddDoneCallback(_ => thread = Environment.CurrentManagedThreadId);
            Assert.Equal(Environment.CurrentManagedThreadId, thread);
        }
    }

    [Fact]
    public async Task ThrowingCallbacks_AreLogged_AndStopNeitherTheOthersNorTheCaller()
    {
        var logs = new LogCollector();
        await using var scope = new FutureScope(cluster, new ClusterExecutorOptions { LoggerFactory = logs });
        var future = scope.Pending();
        var calls = new ConcurrentQueue<string>();
        future.AddDoneCallback(_ => throw new InvalidOperationException("first callback"));
        future.AddDoneCallback(_ => calls.Enqueue("a"));
        future.AddDoneCallback((ClusterFuture _) => throw new InvalidOperationException("third callback"));
        future.AddDoneCallback(_ => calls.Enqueue("b"));

        Assert.True(future.Cancel());

        Assert.Equal(["a", "b"], calls);
        // On a future already done: runs at once, and still does not throw at the caller.
        future.AddDoneCallback(_ => throw new InvalidOperationException("late callback"));
        future.AddDoneCallback(_ => calls.Enqueue("c"));
        Assert.Equal(["a", "b", "c"], calls);

        var errors = logs.Entries.Where(e => e.Level == LogLevel.Error).ToList();
        Assert.Equal(["first callback", "third callback", "late callback"], errors.Select(e => e.Exception?.Message));
        Assert.All(errors, e => Assert.Contains(future.Id, e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ThrowingCallback_OnAFutureResolvedByTheCompletionStream_DoesNotStopTheOthers()
    {
        await using var scope = new FutureScope(cluster);
        var future = scope.Executor.Submit<long>("add", 1, 2);
        var after = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        future.AddDoneCallback(_ => throw new InvalidOperationException("boom"));
        future.AddDoneCallback(f => after.SetResult(f.Result(TimeSpan.Zero)));

        Assert.Equal(3, await after.Task.WithTimeout());

        // The completion stream goes on resolving other futures.
        Assert.Equal(7, await scope.Executor.Submit<long>("add", 3, 4).WithTimeout());
    }

    [Fact]
    public async Task EveryFuture_RunsEachOfItsCallbacksExactlyOnce_WhetherAddedBeforeOrAfterItFinished()
    {
        await using var scope = new FutureScope(cluster);
        var futures = Enumerable.Range(0, 500).Select(i => scope.Executor.Submit<long>("add", i, i)).ToList();
        var counts = new int[futures.Count];
        var notDoneInCallback = 0;
        // Added while the results stream in: some futures are done already, some not.
        Parallel.For(0, futures.Count, i =>
        {
            futures[i].AddDoneCallback(f =>
            {
                if (!f.Done)
                {
                    Interlocked.Increment(ref notDoneInCallback);
                }
                Interlocked.Increment(ref counts[i]);
            });
        });

        await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout();

        await TaskTimeouts.Eventually(() => Task.FromResult(Enumerable.Range(0, counts.Length).All(i => Volatile.Read(ref counts[i]) >= 1)), "every callback ran");
        Assert.All(counts, c => Assert.Equal(1, c));
        Assert.Equal(0, notDoneInCallback);
    }
}
