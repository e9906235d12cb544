using System.Diagnostics;
using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Futures;

/// <summary>
/// ClusterFutures.AsCompleted, as concurrent.futures.as_completed: each distinct future once, the
/// ones already done first, then in the order they finish or are cancelled; a timeout ends it
/// with "N (of M) futures unfinished".
/// </summary>
public abstract class AsCompletedTests<TCluster>(TCluster cluster) where TCluster : ClusterFixture
{
    [SkippableFact]
    public async Task AsCompleted_YieldsEveryFuture_OnceEach_AllDone()
    {
        await using var scope = new FutureScope(cluster);
        var cancelled = await scope.CancelledAsync();
        List<ClusterFuture> futures =
        [
            scope.Executor.Submit<long>("add", 1, 1),
            scope.Executor.Submit<double>("sleep", 0.1),
            scope.Executor.Submit<int>("fail", "x"),
            scope.Executor.Submit<long>("fib", 10),
            cancelled,
        ];

        var yielded = await Task.Run(() => ClusterFutures.AsCompleted(futures).Select(f => (f, f.Done)).ToList()).WithTimeout();

        Assert.Equal(futures.Count, yielded.Count);
        Assert.Equal(futures.ToHashSet(), yielded.Select(y => y.f).ToHashSet());
        Assert.All(yielded, y => Assert.True(y.Done));
    }

    [SkippableFact]
    public async Task AsCompleted_YieldsTheFuturesAlreadyDoneFirst_InTheOrderGiven_ThenTheOthersAsTheyFinish()
    {
        await using var scope = new FutureScope(cluster);
        var succeeded = await scope.SucceededAsync();
        var failed = await scope.FailedAsync();
        var cancelled = await scope.CancelledAsync();
        var sleeping = scope.Executor.Submit<double>("sleep", 0.5);
        ClusterFuture[] futures = [sleeping, failed, succeeded, cancelled];

        var order = await Task.Run(() => ClusterFutures.AsCompleted(futures).ToList()).WithTimeout();

        Assert.Equal<ClusterFuture>([failed, succeeded, cancelled, sleeping], order);
    }

    [SkippableFact]
    public async Task AsCompleted_YieldsFutures_InTheOrderTheyAreResolved()
    {
        await using var scope = new FutureScope(cluster);
        var first = scope.Pending();
        var second = scope.Pending();
        var third = scope.Executor.Submit<double>("sleep", 0.1);
        using var enumerator = ClusterFutures.AsCompleted<ClusterFuture>([first, second, third]).GetEnumerator();

        Assert.True(await Task.Run(enumerator.MoveNext).WithTimeout());
        Assert.Same(third, enumerator.Current);
        var next = Task.Run(enumerator.MoveNext);
        Assert.True(await second.CancelAsync().WithTimeout());
        Assert.True(await next.WithTimeout());
        Assert.Same(second, enumerator.Current);
        next = Task.Run(enumerator.MoveNext);
        Assert.True(await first.CancelAsync().WithTimeout());
        Assert.True(await next.WithTimeout());
        Assert.Same(first, enumerator.Current);
        Assert.False(enumerator.MoveNext());
    }

    [SkippableFact]
    public async Task AsCompleted_ZeroTimeout_YieldsTheDoneOnes_ThenThrows_NamingHowManyAreUnfinished()
    {
        await using var scope = new FutureScope(cluster);
        var cancelled = await scope.CancelledAsync();
        var failed = await scope.FailedAsync();
        var succeeded = await scope.SucceededAsync();
        var pending = scope.Pending();
        ClusterFuture[] futures = [cancelled, failed, succeeded, pending];
        var yielded = new List<ClusterFuture>();

        var error = Assert.Throws<TimeoutException>(() =>
        {
            foreach (var future in ClusterFutures.AsCompleted(futures, TimeSpan.Zero))
            {
                yielded.Add(future);
            }
        });

        Assert.Equal("1 (of 4) futures unfinished", error.Message);
        Assert.Equal<ClusterFuture>([cancelled, failed, succeeded], yielded);
    }

    [SkippableFact]
    public async Task AsCompleted_ZeroTimeout_WithEveryFutureDone_DoesNotThrow()
    {
        await using var scope = new FutureScope(cluster);
        ClusterFuture[] futures = [await scope.SucceededAsync(), await scope.FailedAsync(), await scope.CancelledAsync()];

        var yielded = ClusterFutures.AsCompleted(futures, TimeSpan.Zero).ToList();

        Assert.Equal(futures, yielded);
    }

    [SkippableFact]
    public async Task AsCompleted_Timeout_CountsDistinctUnfinishedFutures_AndTakesAboutTheTimeout()
    {
        await using var scope = new FutureScope(cluster);
        var succeeded = await scope.SucceededAsync();
        var pendingA = scope.Pending();
        var pendingB = scope.Pending();
        ClusterFuture[] futures = [pendingA, succeeded, pendingB, pendingA, succeeded];
        var yielded = new List<ClusterFuture>();
        var timeout = TimeSpan.FromMilliseconds(300);

        var watch = Stopwatch.StartNew();
        var error = await Task.Run(() => Assert.Throws<TimeoutException>(() =>
        {
            foreach (var future in ClusterFutures.AsCompleted(futures, timeout))
            {
                yielded.Add(future);
            }
        })).WithTimeout();

        Assert.Equal("2 (of 3) futures unfinished", error.Message);
        Assert.Equal<ClusterFuture>([succeeded], yielded);
        Assert.True(watch.Elapsed >= timeout / 2, $"gave up after {watch.Elapsed}");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [SkippableFact]
    public async Task AsCompleted_DuplicateFutures_AreYieldedOnce()
    {
        await using var scope = new FutureScope(cluster);
        var a = scope.Executor.Submit<long>("add", 1, 2);
        var b = scope.Executor.Submit<long>("add", 3, 4);

        var yielded = await Task.Run(() => ClusterFutures.AsCompleted([a, a, b, a, b, b]).ToList()).WithTimeout();

        Assert.Equal(2, yielded.Count);
        Assert.Equal(new HashSet<ClusterFuture<long>> { a, b }, yielded.ToHashSet());
    }

    [SkippableFact]
    public void AsCompleted_OfNoFutures_YieldsNothing()
    {
        Assert.Empty(ClusterFutures.AsCompleted(Array.Empty<ClusterFuture>(), TimeSpan.Zero));
        Assert.Empty(ClusterFutures.AsCompleted(Array.Empty<ClusterFuture>()));
    }

    [SkippableFact]
    public async Task AsCompletedAsync_YieldsTheDoneOnesOnce_ThenTimesOutWithTheSameMessage()
    {
        await using var scope = new FutureScope(cluster);
        var succeeded = await scope.SucceededAsync();
        var cancelled = await scope.CancelledAsync();
        var pending = scope.Pending();
        var yielded = new List<ClusterFuture>();

        var error = await Assert.ThrowsAsync<TimeoutException>(async () =>
        {
            await foreach (var future in ClusterFutures.AsCompletedAsync<ClusterFuture>([pending, succeeded, cancelled, succeeded], TimeSpan.FromMilliseconds(300)))
            {
                yielded.Add(future);
            }
        }).WithTimeout();

        Assert.Equal("1 (of 3) futures unfinished", error.Message);
        Assert.Equal<ClusterFuture>([succeeded, cancelled], yielded);
    }

    [SkippableFact]
    public async Task AsCompletedAsync_WithoutTimeout_YieldsEveryFuture()
    {
        await using var scope = new FutureScope(cluster);
        var futures = Enumerable.Range(0, 50).Select(i => scope.Executor.Submit<long>("add", i, 1)).ToList();
        var yielded = new List<ClusterFuture<long>>();

        await foreach (var future in ClusterFutures.AsCompletedAsync(futures).WithTimeout())
        {
            Assert.True(future.Done);
            yielded.Add(future);
        }

        Assert.Equal(futures.ToHashSet(), yielded.ToHashSet());
        Assert.Equal(futures.Count, yielded.Count);
    }

    [SkippableFact]
    public async Task AsCompletedAsync_StopsWhenItsTokenIsCancelled()
    {
        await using var scope = new FutureScope(cluster);
        var pending = scope.Pending();
        using var cts = new CancellationTokenSource();
        await using var enumerator = ClusterFutures.AsCompletedAsync([pending]).GetAsyncEnumerator(cts.Token);

        var next = enumerator.MoveNextAsync().AsTask();
        Assert.False(next.IsCompleted);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next.WithTimeout());
        Assert.False(pending.Done);
    }
}

internal static class AsyncEnumerableTimeouts
{
    /// <summary>Each step of the enumeration gets the default deadline of an await.</summary>
    public static async IAsyncEnumerable<T> WithTimeout<T>(this IAsyncEnumerable<T> source)
    {
        await using var enumerator = source.GetAsyncEnumerator();
        while (await enumerator.MoveNextAsync().AsTask().WithTimeout())
        {
            yield return enumerator.Current;
        }
    }
}

[Collection("futures")]
public sealed class EmbeddedStoreAsCompletedTests(EmbeddedCluster cluster) : AsCompletedTests<EmbeddedCluster>(cluster);

[Collection("futures-redis-cluster")]
public sealed class RedisClusterAsCompletedTests(RedisClusterModeCluster cluster) : AsCompletedTests<RedisClusterModeCluster>(cluster);
