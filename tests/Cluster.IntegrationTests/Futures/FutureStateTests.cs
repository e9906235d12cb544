using System.Diagnostics;
using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Futures;

/// <summary>
/// A future's states (Pending, Running, Finished, Cancelled) and reading its outcome — result,
/// exception, await — with and without timeouts, as concurrent.futures.Future.
/// </summary>
[Collection("futures")]
public sealed class FutureStateTests(EmbeddedCluster cluster)
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task PendingFuture_IsNeitherRunningNorDone_AndReadingItTimesOut()
    {
        await using var scope = new FutureScope(cluster);
        var future = scope.Pending();

        Assert.Equal(FutureState.Pending, future.State);
        Assert.False(future.Running);
        Assert.False(future.Done);
        Assert.False(future.Cancelled);
        Assert.Null(future.WorkerId);
        Assert.Equal(0, future.Attempt);
        Assert.Null(future.Progress);
        Assert.False(future.AsTask().IsCompleted);
        Assert.False(future.WhenDone().IsCompleted);

        var watch = Stopwatch.StartNew();
        Assert.Throws<TimeoutException>(() => future.Result(Short));
        Assert.True(watch.Elapsed >= Short / 2, $"Result({Short}) gave up after {watch.Elapsed}");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"Result({Short}) took {watch.Elapsed}");
        Assert.Throws<TimeoutException>(() => future.Result(TimeSpan.Zero));
        Assert.Throws<TimeoutException>(() => future.GetException(Short));
        Assert.Throws<TimeoutException>(() => future.GetException(TimeSpan.Zero));
        // A timeout leaves the future as it was.
        Assert.Equal(FutureState.Pending, future.State);
    }

    [Fact]
    public async Task RunningFuture_IsRunningAndNotDone_AndReadingItTimesOut()
    {
        await using var scope = new FutureScope(cluster);
        var future = await scope.RunningSleepAsync();

        Assert.True(future.Running);
        Assert.False(future.Done);
        Assert.False(future.Cancelled);
        Assert.Throws<TimeoutException>(() => future.Result(Short));
        Assert.Throws<TimeoutException>(() => future.GetException(Short));
        Assert.Equal(FutureState.Running, future.State);
    }

    [Fact]
    public async Task Future_GoesFromPending_ToRunning_ToFinished()
    {
        await using var scope = new FutureScope(cluster);
        var gate = FutureScope.NewGate();
        var future = FutureScope.SubmitGated(scope.Executor, gate);
        Assert.Equal(FutureState.Pending, future.State);

        await TaskTimeouts.Eventually(() => Task.FromResult(future.Running || future.Done), "the task is running");
        Assert.Equal(FutureState.Running, future.State);

        await FutureScope.OpenGateAsync(scope.Executor, gate, 1);
        Assert.Equal(1, await future.AsTask().WithTimeout());
        Assert.Equal(FutureState.Finished, future.State);
        Assert.True(future.Done);
        Assert.False(future.Running);
        Assert.False(future.Cancelled);
    }

    [Fact]
    public async Task FinishedFuture_GivesItsResult_WithOrWithoutTimeout_AndNoException()
    {
        await using var scope = new FutureScope(cluster);
        var future = scope.Executor.Submit<long>("add", 2, 3);

        Assert.Equal(5, await future.WithTimeout());
        Assert.Equal(FutureState.Finished, future.State);
        Assert.True(future.Done);
        Assert.False(future.Running);
        Assert.False(future.Cancelled);
        Assert.Equal(5, future.Result());
        Assert.Equal(5, future.Result(TimeSpan.Zero));
        Assert.Equal(5, future.Result(TimeSpan.FromSeconds(1)));
        Assert.Null(future.GetException());
        Assert.Null(future.GetException(TimeSpan.Zero));
        Assert.Equal(1, future.Attempt);
        Assert.False(string.IsNullOrEmpty(future.WorkerId));
        Assert.Equal("add", future.Name);
        await TaskTimeouts.Eventually(() => Task.FromResult(scope.Executor.PendingCount == 0), "the executor holds no future");
    }

    [Fact]
    public async Task ResultWithTimeout_ReturnsAsSoonAsTheTaskFinishes_NotAtTheTimeout()
    {
        await using var scope = new FutureScope(cluster);
        var sleeping = scope.Executor.Submit<double>("sleep", 0.2);
        var failing = scope.Executor.Submit<int>("fail", "late");

        var watch = Stopwatch.StartNew();
        var result = await Task.Run(() => sleeping.Result(TimeSpan.FromSeconds(60))).WithTimeout();
        var error = await Task.Run(() => failing.GetException(TimeSpan.FromSeconds(60))).WithTimeout();

        Assert.Equal(0.2, result);
        Assert.IsType<RemoteTaskException>(error);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task FailedFuture_ThrowsRemoteTaskException_FromResultAndAwait_AndGetExceptionReturnsIt()
    {
        await using var scope = new FutureScope(cluster);
        var future = scope.Executor.Submit<int>("fail", "it broke");

        var awaited = await Assert.ThrowsAsync<RemoteTaskException>(async () => await future.WithTimeout());

        Assert.Equal(FutureState.Finished, future.State);
        Assert.True(future.Done);
        Assert.False(future.Cancelled);
        Assert.Equal("System.InvalidOperationException", awaited.RemoteType);
        Assert.Equal("it broke", awaited.RemoteMessage);
        Assert.Contains("Fail", awaited.RemoteStackTrace, StringComparison.Ordinal);
        Assert.Equal(future.Id, awaited.TaskId);
        Assert.Equal(1, awaited.Attempt);
        Assert.Same(awaited, Assert.Throws<RemoteTaskException>(() => future.Result()));
        Assert.Same(awaited, Assert.Throws<RemoteTaskException>(() => future.Result(TimeSpan.Zero)));
        Assert.Same(awaited, future.GetException());
        Assert.Same(awaited, future.GetException(TimeSpan.Zero));
        Assert.True(future.AsTask().IsFaulted);
    }

    [Fact]
    public async Task CancelledFuture_ThrowsOperationCanceled_FromResultGetExceptionAndAwait()
    {
        await using var scope = new FutureScope(cluster);
        var future = await scope.CancelledAsync();

        Assert.Equal(FutureState.Cancelled, future.State);
        Assert.True(future.Cancelled);
        Assert.True(future.Done);
        Assert.False(future.Running);
        Assert.ThrowsAny<OperationCanceledException>(() => future.Result());
        Assert.ThrowsAny<OperationCanceledException>(() => future.Result(TimeSpan.Zero));
        Assert.ThrowsAny<OperationCanceledException>(() => future.GetException());
        Assert.ThrowsAny<OperationCanceledException>(() => future.GetException(TimeSpan.Zero));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await future.WithTimeout());
        Assert.True(future.AsTask().IsCanceled);
        Assert.Null(future.WorkerId);
    }

    [Fact]
    public async Task WhenDone_CompletesWithoutFaulting_WhateverTheOutcome()
    {
        await using var scope = new FutureScope(cluster);
        var succeeded = scope.Executor.Submit<long>("add", 1, 1);
        var failed = scope.Executor.Submit<int>("fail", "x");
        var pending = scope.Pending();
        var waiting = pending.WhenDone();

        await succeeded.WhenDone().WithTimeout();
        await failed.WhenDone().WithTimeout();
        Assert.False(waiting.IsCompleted);
        Assert.True(await pending.CancelAsync().WithTimeout());
        await waiting.WithTimeout();

        Assert.True(succeeded.WhenDone().IsCompletedSuccessfully);
        Assert.True(failed.WhenDone().IsCompletedSuccessfully);
        Assert.True(pending.WhenDone().IsCompletedSuccessfully);
    }

    [Fact]
    public async Task ThreadsBlockedOnAFuture_AreReleasedWhenItResolves()
    {
        await using var scope = new FutureScope(cluster);
        var cancelled = scope.Pending();
        var blockedOnResult = Task.Run(() => cancelled.Result());
        var blockedOnException = Task.Run(() => cancelled.GetException());
        var blockedOnSleep = Task.Run(() => scope.Executor.Submit<double>("sleep", 0.1).Result());

        Assert.True(await cancelled.CancelAsync().WithTimeout());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blockedOnResult.WithTimeout());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blockedOnException.WithTimeout());
        Assert.Equal(0.1, await blockedOnSleep.WithTimeout());
    }

    [Fact]
    public async Task ResultThatCannotBeReadAsTheType_FailsWithInvalidCast()
    {
        await using var scope = new FutureScope(cluster);
        var future = scope.Executor.Submit<int>("echo", "not a number");

        await Assert.ThrowsAsync<InvalidCastException>(async () => await future.WithTimeout());
        Assert.Equal(FutureState.Finished, future.State);
        Assert.IsType<InvalidCastException>(future.GetException());
    }

    [Fact]
    public async Task RawJsonSubmit_GivesTheResultAsAJsonElement()
    {
        await using var scope = new FutureScope(cluster);
        var future = scope.Executor.Submit("echo", new Dictionary<string, object> { ["a"] = 1, ["b"] = new[] { "x", "y" } });

        var json = await future.WithTimeout();

        Assert.Equal(1, json.GetProperty("a").GetInt32());
        Assert.Equal("y", json.GetProperty("b")[1].GetString());
    }

    [Fact]
    public async Task TaskRefusedAtSubmit_FinishesWithTaskRejectedException()
    {
        await using var scope = new FutureScope(cluster);
        var future = scope.Executor.Submit<string>("echo", new string('x', 5 * 1024 * 1024));

        var error = await Assert.ThrowsAsync<TaskRejectedException>(async () => await future.WithTimeout());

        Assert.Equal(FutureState.Finished, future.State);
        Assert.Equal("InvalidArgument", error.Code);
        Assert.Equal(future.Id, error.TaskId);
        Assert.Same(error, future.GetException());
        Assert.False(await future.CancelAsync().WithTimeout());
    }

    [Fact]
    public async Task ToString_ShowsIdNameAndState()
    {
        await using var scope = new FutureScope(cluster);
        var future = scope.Pending();

        Assert.Equal($"<ClusterFuture {future.Id} {future.Name} state=Pending>", future.ToString());
        Assert.True(await future.CancelAsync().WithTimeout());
        Assert.Equal($"<ClusterFuture {future.Id} {future.Name} state=Cancelled>", future.ToString());
    }
}
