using System.Diagnostics;
using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Futures;

/// <summary>
/// ClusterFutures.Wait, as concurrent.futures.wait: the distinct futures split into done and not
/// done once return_when holds — FirstCompleted (a cancelled future counts), FirstException (a
/// cancelled one does not count; with no exception it waits for all), AllCompleted — or once the
/// timeout passes, which does not throw.
/// </summary>
public abstract class WaitTests<TCluster>(TCluster cluster) where TCluster : ClusterFixture
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task AllCompleted_ReturnsOnceEveryFutureIsDone_WhateverItsOutcome()
    {
        await using var scope = new FutureScope(cluster);
        var cancelled = await scope.CancelledAsync();
        ClusterFuture[] futures =
        [
            scope.Executor.Submit<double>("sleep", 0.3),
            scope.Executor.Submit<long>("add", 1, 2),
            scope.Executor.Submit<int>("fail", "x"),
            cancelled,
        ];

        var (done, notDone) = await Task.Run(() => ClusterFutures.Wait(futures, Long, ReturnWhen.AllCompleted)).WithTimeout();

        Assert.Equal(futures.ToHashSet(), done.ToHashSet());
        Assert.Empty(notDone);
        Assert.All(futures, f => Assert.True(f.Done));
    }

    [SkippableFact]
    public async Task AllCompleted_IsTheDefault()
    {
        await using var scope = new FutureScope(cluster);
        var futures = Enumerable.Range(0, 20).Select(i => scope.Executor.Submit<long>("add", i, i)).ToList();

        var result = await ClusterFutures.WaitAsync(futures).WithTimeout();

        Assert.Equal(20, result.Done.Count);
        Assert.Empty(result.NotDone);
    }

    [SkippableFact]
    public async Task FirstCompleted_ReturnsWhenOneFinishes_WithTheOthersNotDone()
    {
        await using var scope = new FutureScope(cluster);
        var pending = scope.Pending();
        var running = await scope.RunningSleepAsync();
        var quick = scope.Executor.Submit<long>("add", 2, 2);
        ClusterFuture[] futures = [pending, running, quick];

        var (done, notDone) = await Task.Run(() => ClusterFutures.Wait(futures, Long, ReturnWhen.FirstCompleted)).WithTimeout();

        Assert.Equal([quick], done);
        Assert.Equal(new HashSet<ClusterFuture> { pending, running }, notDone.ToHashSet());
    }

    [SkippableFact]
    public async Task FirstCompleted_SomeAlreadyDone_ReturnsAtOnce_WithAllThatAreDone()
    {
        await using var scope = new FutureScope(cluster);
        var cancelled = await scope.CancelledAsync();
        var succeeded = await scope.SucceededAsync();
        var pending = scope.Pending();
        var running = await scope.RunningSleepAsync();
        var watch = Stopwatch.StartNew();

        var (done, notDone) = ClusterFutures.Wait<ClusterFuture>([cancelled, succeeded, pending, running], Long, ReturnWhen.FirstCompleted);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal(new HashSet<ClusterFuture> { cancelled, succeeded }, done.ToHashSet());
        Assert.Equal(new HashSet<ClusterFuture> { pending, running }, notDone.ToHashSet());
    }

    [SkippableFact]
    public async Task FirstCompleted_CountsACancelledFuture()
    {
        await using var scope = new FutureScope(cluster);
        var cancelled = await scope.CancelledAsync();
        var pending = scope.Pending();

        var (done, notDone) = await Task.Run(() => ClusterFutures.Wait<ClusterFuture>([pending, cancelled], Long, ReturnWhen.FirstCompleted)).WithTimeout();

        Assert.Equal([cancelled], done);
        Assert.Equal([pending], notDone);
    }

    [SkippableFact]
    public async Task FirstCompleted_WakesWhenAFutureIsCancelledWhileWaiting()
    {
        await using var scope = new FutureScope(cluster);
        var a = scope.Pending();
        var b = scope.Pending();
        var waiting = ClusterFutures.WaitAsync([a, b], Long, ReturnWhen.FirstCompleted);
        Assert.False(waiting.IsCompleted);

        Assert.True(await b.CancelAsync().WithTimeout());

        var (done, notDone) = await waiting.WithTimeout();
        Assert.Equal([b], done);
        Assert.Equal([a], notDone);
    }

    [SkippableFact]
    public async Task FirstException_ReturnsWhenOneFails_WithTheOthersNotDone()
    {
        await using var scope = new FutureScope(cluster);
        var pending = scope.Pending();
        var running = await scope.RunningSleepAsync();
        var failing = scope.Executor.Submit<int>("fail", "first exception");
        ClusterFuture[] futures = [pending, running, failing];

        var (done, notDone) = await Task.Run(() => ClusterFutures.Wait(futures, Long, ReturnWhen.FirstException)).WithTimeout();

        Assert.Equal([failing], done);
        Assert.Equal(new HashSet<ClusterFuture> { pending, running }, notDone.ToHashSet());
    }

    [SkippableFact]
    public async Task FirstException_OneAlreadyFailed_ReturnsAtOnce()
    {
        await using var scope = new FutureScope(cluster);
        var failed = await scope.FailedAsync();
        var pending = scope.Pending();
        var watch = Stopwatch.StartNew();

        var (done, notDone) = ClusterFutures.Wait<ClusterFuture>([pending, failed], Long, ReturnWhen.FirstException);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal([failed], done);
        Assert.Equal([pending], notDone);
    }

    [SkippableFact]
    public async Task FirstException_SomeAlreadyComplete_ReturnsWhenTheFailureArrives()
    {
        await using var scope = new FutureScope(cluster);
        var succeeded = await scope.SucceededAsync();
        var cancelled = await scope.CancelledAsync();
        var running = await scope.RunningSleepAsync();
        var failing = scope.Executor.Submit<int>("fail", "late failure");

        var (done, notDone) = await Task.Run(() => ClusterFutures.Wait<ClusterFuture>([succeeded, cancelled, failing, running], Long, ReturnWhen.FirstException)).WithTimeout();

        Assert.Equal(new HashSet<ClusterFuture> { succeeded, cancelled, failing }, done.ToHashSet());
        Assert.Equal([running], notDone);
    }

    [SkippableFact]
    public async Task FirstException_ACancelledFutureIsNoException_SoItWaitsUntilTheTimeout()
    {
        await using var scope = new FutureScope(cluster);
        var cancelled = await scope.CancelledAsync();
        var pending = scope.Pending();
        var timeout = TimeSpan.FromMilliseconds(300);
        var watch = Stopwatch.StartNew();

        var (done, notDone) = await Task.Run(() => ClusterFutures.Wait<ClusterFuture>([cancelled, pending], timeout, ReturnWhen.FirstException)).WithTimeout();

        Assert.True(watch.Elapsed >= timeout / 2, $"returned after {watch.Elapsed}, before the timeout");
        Assert.Equal([cancelled], done);
        Assert.Equal([pending], notDone);
    }

    [SkippableFact]
    public async Task FirstException_WithoutAnyException_WaitsForEveryFuture()
    {
        await using var scope = new FutureScope(cluster);
        var cancelled = await scope.CancelledAsync();
        var succeeded = await scope.SucceededAsync();
        var sleeping = scope.Executor.Submit<double>("sleep", 0.3);

        var (done, notDone) = await ClusterFutures.WaitAsync<ClusterFuture>([cancelled, succeeded, sleeping], Long, ReturnWhen.FirstException).WithTimeout();

        Assert.True(sleeping.Done);
        Assert.Equal(new HashSet<ClusterFuture> { cancelled, succeeded, sleeping }, done.ToHashSet());
        Assert.Empty(notDone);
    }

    [SkippableFact]
    public async Task FirstException_CountsARejectedTask()
    {
        await using var scope = new FutureScope(cluster);
        var pending = scope.Pending();
        var rejected = scope.Executor.Submit<string>("echo", new string('x', 5 * 1024 * 1024));

        var (done, notDone) = await ClusterFutures.WaitAsync<ClusterFuture>([pending, rejected], Long, ReturnWhen.FirstException).WithTimeout();

        Assert.Equal([rejected], done);
        Assert.Equal([pending], notDone);
        Assert.IsType<TaskRejectedException>(rejected.GetException(TimeSpan.Zero));
    }

    [SkippableTheory]
    [InlineData(ReturnWhen.AllCompleted)]
    [InlineData(ReturnWhen.FirstException)]
    public async Task Timeout_ReturnsThePartialSplit_WithoutThrowing(ReturnWhen returnWhen)
    {
        await using var scope = new FutureScope(cluster);
        var succeeded = await scope.SucceededAsync();
        var pending = scope.Pending();
        var running = await scope.RunningSleepAsync();
        var timeout = TimeSpan.FromMilliseconds(300);
        var watch = Stopwatch.StartNew();

        var (done, notDone) = await Task.Run(() => ClusterFutures.Wait<ClusterFuture>([succeeded, pending, running], timeout, returnWhen)).WithTimeout();

        Assert.True(watch.Elapsed >= timeout / 2, $"returned after {watch.Elapsed}, before the timeout");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.Equal([succeeded], done);
        Assert.Equal(new HashSet<ClusterFuture> { pending, running }, notDone.ToHashSet());
    }

    [SkippableTheory]
    [InlineData(ReturnWhen.AllCompleted)]
    [InlineData(ReturnWhen.FirstCompleted)]
    [InlineData(ReturnWhen.FirstException)]
    public async Task ZeroTimeout_ReturnsTheSplitAsItIsNow(ReturnWhen returnWhen)
    {
        await using var scope = new FutureScope(cluster);
        var cancelled = await scope.CancelledAsync();
        var pending = scope.Pending();

        var (done, notDone) = ClusterFutures.Wait<ClusterFuture>([pending, cancelled], TimeSpan.Zero, returnWhen);

        Assert.Equal([cancelled], done);
        Assert.Equal([pending], notDone);
    }

    [SkippableFact]
    public async Task DuplicateFutures_Collapse()
    {
        await using var scope = new FutureScope(cluster);
        var a = scope.Executor.Submit<long>("add", 1, 1);
        var b = scope.Executor.Submit<long>("add", 2, 2);
        var pending = scope.Pending();

        var all = await ClusterFutures.WaitAsync([a, b, a, b, a], Long).WithTimeout();
        var partial = ClusterFutures.Wait<ClusterFuture>([a, pending, a, pending], TimeSpan.Zero);

        Assert.Equal(new HashSet<ClusterFuture<long>> { a, b }, all.Done.ToHashSet());
        Assert.Empty(all.NotDone);
        Assert.Equal([a], partial.Done);
        Assert.Equal([pending], partial.NotDone);
    }

    [SkippableTheory]
    [InlineData(ReturnWhen.AllCompleted)]
    [InlineData(ReturnWhen.FirstCompleted)]
    [InlineData(ReturnWhen.FirstException)]
    public async Task NoFutures_GiveTwoEmptySets_AtOnce(ReturnWhen returnWhen)
    {
        // As concurrent.futures.wait([]): nothing to wait for, whatever return_when says.
        var (done, notDone) = await Task.Run(() => ClusterFutures.Wait(Array.Empty<ClusterFuture>(), timeout: null, returnWhen)).WithTimeout(TimeSpan.FromSeconds(10));
        var both = await ClusterFutures.WaitAsync(Array.Empty<ClusterFuture>(), timeout: null, returnWhen).WithTimeout(TimeSpan.FromSeconds(10));

        Assert.Empty(done);
        Assert.Empty(notDone);
        Assert.Empty(both.Done);
        Assert.Empty(both.NotDone);
    }

    [SkippableFact]
    public async Task WaitAsync_StopsWhenItsTokenIsCancelled()
    {
        await using var scope = new FutureScope(cluster);
        var pending = scope.Pending();
        using var cts = new CancellationTokenSource();
        var waiting = ClusterFutures.WaitAsync([pending], Long, ReturnWhen.AllCompleted, cts.Token);
        Assert.False(waiting.IsCompleted);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WithTimeout());
        Assert.False(pending.Done);
    }
}

[Collection("futures")]
public sealed class EmbeddedStoreWaitTests(EmbeddedCluster cluster) : WaitTests<EmbeddedCluster>(cluster);

[Collection("futures-redis-cluster")]
public sealed class RedisClusterWaitTests(RedisClusterModeCluster cluster) : WaitTests<RedisClusterModeCluster>(cluster);
