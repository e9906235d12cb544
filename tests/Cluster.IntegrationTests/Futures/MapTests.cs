using System.Diagnostics;
using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Futures;

/// <summary>
/// ClusterExecutor.Map, as concurrent.futures.Executor.map: every call submitted at once, results
/// lazily in input order, an error thrown where its result is reached, a timeout counted from the
/// call, chunks that change nothing but the overhead, and leaving early cancelling what is queued.
/// </summary>
[Collection("futures")]
public sealed class MapTests(EmbeddedCluster cluster)
{
    private static object?[][] Args(params object?[] values) => values.Select(v => new[] { v }).ToArray();

    private static long Fib(int n) => n < 2 ? n : Fib(n - 1) + Fib(n - 2);

    [Fact]
    public async Task Map_YieldsResultsInInputOrder_NotInCompletionOrder()
    {
        await using var scope = new FutureScope(cluster);

        var results = await Task.Run(() => scope.Executor.Map<double>("sleep", Args(0.4, 0.0, 0.2, 0.1)).ToList()).WithTimeout();

        Assert.Equal([0.4, 0.0, 0.2, 0.1], results);
    }

    [Fact]
    public async Task Map_OfManyCalls_GivesWhatSubmittingEachWouldGive()
    {
        await using var scope = new FutureScope(cluster);
        var args = Enumerable.Range(0, 300).Select(i => new object?[] { i, 1000 - i * 3 }).ToList();

        var results = await Task.Run(() => scope.Executor.Map<long>("add", args).ToList()).WithTimeout();

        Assert.Equal(Enumerable.Range(0, 300).Select(i => 1000L - 2 * i), results);
    }

    [Fact]
    public async Task Map_SubmitsEveryCallAtOnce_BeforeAnyResultIsRead()
    {
        await using var scope = new FutureScope(cluster);

        var results = scope.Executor.Map<int>(FutureScope.UnhandledName(), Args(1, 2, 3));
        scope.HoldFirstSubmitted(3);

        Assert.Equal(3, scope.Executor.PendingCount);
        GC.KeepAlive(results);
    }

    [Fact]
    public async Task Map_ErrorOfACall_IsThrownWhenItsResultIsReached()
    {
        await using var scope = new FutureScope(cluster);
        using var results = scope.Executor.Map<long>("fib", Args(10, 11, -1, 12)).GetEnumerator();

        Assert.True(await Task.Run(results.MoveNext).WithTimeout());
        Assert.Equal(55, results.Current);
        Assert.True(await Task.Run(results.MoveNext).WithTimeout());
        Assert.Equal(89, results.Current);
        var error = await Assert.ThrowsAsync<RemoteTaskException>(() => Task.Run(results.MoveNext).WithTimeout());

        Assert.Equal("System.ArgumentOutOfRangeException", error.RemoteType);
        Assert.Contains("fib is defined here for 0 <= n <= 92", error.RemoteMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Map_Timeout_CountsFromTheCall_ResultsInTimeAreYielded_ThenTimeoutException()
    {
        await using var scope = new FutureScope(cluster);
        var timeout = TimeSpan.FromSeconds(1);
        var sinceTheCall = Stopwatch.StartNew();
        var results = scope.Executor.Map<double>("sleep", Args(0.0, 0.0, 30.0), timeout);
        scope.HoldFirstSubmitted(3);
        // The results are read only once the two quick calls are done and the map's deadline has passed.
        await TaskTimeouts.Eventually(() => Task.FromResult(scope.Executor.PendingCount == 1 && sinceTheCall.Elapsed > timeout),
            "the two quick calls are done and the map's timeout has passed");
        var yielded = new List<double>();

        var watch = Stopwatch.StartNew();
        Assert.Throws<TimeoutException>(() =>
        {
            foreach (var result in results)
            {
                yielded.Add(result);
            }
        });

        Assert.Equal([0.0, 0.0], yielded);
        // The deadline had passed already: no new wait of the whole timeout.
        Assert.True(watch.Elapsed < timeout * 0.8, $"the timeout took {watch.Elapsed}");
    }

    [Fact]
    public async Task Map_Timeout_WhileReading_ThrowsTimeoutException_AfterAboutTheTimeout()
    {
        await using var scope = new FutureScope(cluster);
        var timeout = TimeSpan.FromMilliseconds(400);
        var watch = Stopwatch.StartNew();

        var error = await Task.Run(() => Assert.Throws<TimeoutException>(() => scope.Executor.Map<int>(FutureScope.UnhandledName(), Args(1, 2), timeout).ToList())).WithTimeout();

        Assert.True(watch.Elapsed >= timeout / 2, $"gave up after {watch.Elapsed}");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.NotNull(error);
        // Leaving on the timeout cancelled every call still queued, the one waited on too.
        await TaskTimeouts.Eventually(() => Task.FromResult(scope.Executor.PendingCount == 0), "every call of the map is cancelled");
    }

    [Fact]
    public async Task Map_LeavingOnAnError_CancelsTheCallsStillQueued()
    {
        await using var scope = new FutureScope(cluster);
        var name = FutureScope.UnhandledName();
        // The first call is refused at submit (too large); the others wait in a queue no worker serves.
        var results = scope.Executor.Map<int>(name, Args(new string('x', 5 * 1024 * 1024), 1, 2, 3));
        Assert.Equal(4, scope.Executor.PendingCount);

        await Assert.ThrowsAsync<TaskRejectedException>(() => Task.Run(() => results.ToList()).WithTimeout());

        await TaskTimeouts.Eventually(() => Task.FromResult(scope.Executor.PendingCount == 0), "the queued calls of the map are cancelled");
    }

    [Fact]
    public async Task Map_LeavingByBreak_ReturnsWithoutWaitingForTheRest()
    {
        await using var scope = new FutureScope(cluster);
        var watch = Stopwatch.StartNew();

        var first = await Task.Run(() => scope.Executor.Map<double>("sleep", Args(0.0, 30.0, 30.0)).First()).WithTimeout();
        scope.HoldFirstSubmitted(3);

        Assert.Equal(0.0, first);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Map_WithChunks_GivesTheSameResultsAsOneCallAtATime()
    {
        await using var scope = new FutureScope(cluster);
        var args = Args(Enumerable.Range(0, 23).Cast<object?>().ToArray());
        var expected = Enumerable.Range(0, 23).Select(Fib).ToList();

        foreach (var chunkSize in new[] { 1, 2, 5, 23, 100 })
        {
            var results = await Task.Run(() => scope.Executor.Map<long>("fib", args, chunkSize: chunkSize).ToList()).WithTimeout();
            Assert.Equal(expected, results);
        }
    }

    [Fact]
    public async Task Map_WithChunks_OnTheCoroutineLoop_KeepsTheInputOrder()
    {
        await using var scope = new FutureScope(cluster);

        var results = await Task.Run(() => scope.Executor.Map<double>("sleep", Args(0.2, 0.0, 0.1, 0.0, 0.05), chunkSize: 2).ToList()).WithTimeout();

        Assert.Equal([0.2, 0.0, 0.1, 0.0, 0.05], results);
    }

    [Fact]
    public async Task Map_WithChunks_AnErrorInsideAChunk_IsThrownWhenItsResultIsReached()
    {
        await using var scope = new FutureScope(cluster);
        var yielded = new List<long>();

        var error = await Task.Run(() => Assert.Throws<RemoteTaskException>(() =>
        {
            foreach (var result in scope.Executor.Map<long>("fib", Args(1, 2, 3, -1, 5, 6), chunkSize: 2))
            {
                yielded.Add(result);
            }
        })).WithTimeout();

        Assert.Equal([1, 1, 2], yielded);
        Assert.Equal("System.ArgumentOutOfRangeException", error.RemoteType);
        Assert.Contains("fib is defined here for 0 <= n <= 92", error.RemoteMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Map_ChunkSizeBelowOne_IsRefusedAtTheCall()
    {
        await using var scope = new FutureScope(cluster);

        Assert.Throws<ArgumentOutOfRangeException>(() => scope.Executor.Map<long>("fib", Args(1), chunkSize: 0));
        Assert.Equal(0, scope.Executor.PendingCount);
    }

    [Fact]
    public async Task Map_OfNoArguments_YieldsNothing()
    {
        await using var scope = new FutureScope(cluster);

        Assert.Empty(scope.Executor.Map<long>("fib", []));
        Assert.Empty(scope.Executor.Map<long>("fib", [], chunkSize: 3));
    }

    [Fact]
    public async Task MapAsync_YieldsResultsInInputOrder_WithAndWithoutChunks()
    {
        await using var scope = new FutureScope(cluster);
        var args = Args(Enumerable.Range(0, 15).Cast<object?>().ToArray());

        foreach (var chunkSize in new[] { 1, 4 })
        {
            var results = new List<long>();
            await foreach (var result in scope.Executor.MapAsync<long>("fib", args, chunkSize: chunkSize).WithTimeout())
            {
                results.Add(result);
            }
            Assert.Equal(Enumerable.Range(0, 15).Select(Fib), results);
        }
    }

    [Fact]
    public async Task MapAsync_ErrorOfACall_IsThrownWhenItsResultIsReached()
    {
        await using var scope = new FutureScope(cluster);
        var yielded = new List<long>();

        var error = await Assert.ThrowsAsync<RemoteTaskException>(async () =>
        {
            await foreach (var result in scope.Executor.MapAsync<long>("fib", Args(3, 4, -5, 6)).WithTimeout())
            {
                yielded.Add(result);
            }
        });

        Assert.Equal([2, 3], yielded);
        Assert.Equal("System.ArgumentOutOfRangeException", error.RemoteType);
    }

    [Fact]
    public async Task MapAsync_Timeout_ThrowsTimeoutException_AndCancelsTheCallsStillQueued()
    {
        await using var scope = new FutureScope(cluster);

        await Assert.ThrowsAsync<TimeoutException>(async () =>
        {
            await foreach (var result in scope.Executor.MapAsync<int>(FutureScope.UnhandledName(), Args(1, 2, 3), TimeSpan.FromMilliseconds(300)).WithTimeout())
            {
                Assert.Fail($"yielded {result}");
            }
        });

        await TaskTimeouts.Eventually(() => Task.FromResult(scope.Executor.PendingCount == 0), "every call of the map is cancelled");
    }

    [Fact]
    public async Task MapAsync_LeavingByItsToken_CancelsTheCallsStillQueued()
    {
        await using var scope = new FutureScope(cluster);
        using var cts = new CancellationTokenSource();
        await using var results = scope.Executor.MapAsync<int>(FutureScope.UnhandledName(), Args(1, 2, 3), cancellationToken: cts.Token).GetAsyncEnumerator();
        var next = results.MoveNextAsync().AsTask();
        Assert.False(next.IsCompleted);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next.WithTimeout());
        await TaskTimeouts.Eventually(() => Task.FromResult(scope.Executor.PendingCount == 0), "every call of the map is cancelled");
    }
}
