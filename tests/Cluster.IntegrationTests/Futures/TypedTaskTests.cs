using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.SampleTasks.Contracts;

namespace Cluster.IntegrationTests.Futures;

/// <summary>Typed task definitions (TaskDef): the name, argument and result types come from one shared definition.</summary>
[Collection("futures")]
public sealed class TypedTaskTests(EmbeddedCluster cluster)
{
    [Fact]
    public async Task Submit_WithATaskDefAndAnArgument_GivesATypedFutureWithTheRightResult()
    {
        await using var scope = new FutureScope(cluster);

        ClusterFuture<long> fib = scope.Executor.Submit(MathTasks.Fib, 30);
        ClusterFuture<double> sleep = scope.Executor.Submit(MathTasks.Sleep, 0.1);

        Assert.Equal(832_040L, await fib.WithTimeout());
        Assert.Equal(0.1, await sleep.WithTimeout());
        Assert.Equal("fib", fib.Name);
        Assert.Equal("sleep", sleep.Name);
    }

    [Fact]
    public async Task Submit_WithATaskDefWithoutArguments_GivesTheTypedRecord()
    {
        await using var scope = new FutureScope(cluster);

        ClusterFuture<WhoAmI> future = scope.Executor.Submit(MathTasks.WhoAmI);
        var where = await future.WithTimeout();

        Assert.Equal("ThreadPool", where.Executor);
        Assert.NotEqual(Environment.ProcessId, where.ProcessId);
        Assert.Contains($"-{where.ProcessId}-", future.WorkerId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_WithATaskDef_WhoseHandlerThrows_GivesRemoteTaskException()
    {
        await using var scope = new FutureScope(cluster);

        var future = scope.Executor.Submit(MathTasks.Fib, 93);

        var error = await Assert.ThrowsAsync<RemoteTaskException>(async () => await future.WithTimeout());
        Assert.Equal("System.ArgumentOutOfRangeException", error.RemoteType);
    }

    [Fact]
    public async Task Map_WithATaskDef_GivesTypedResultsInOrder_WithAndWithoutChunks()
    {
        await using var scope = new FutureScope(cluster);
        var expected = new List<long> { 0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89 };

        var single = await Task.Run(() => scope.Executor.Map(MathTasks.Fib, Enumerable.Range(0, 12)).ToList()).WithTimeout();
        var chunked = await Task.Run(() => scope.Executor.Map(MathTasks.Fib, Enumerable.Range(0, 12), chunkSize: 5).ToList()).WithTimeout();
        var progress = await Task.Run(() => scope.Executor.Map(MathTasks.Progress, [1, 2, 3], timeout: TimeSpan.FromSeconds(60)).ToList()).WithTimeout();

        Assert.Equal(expected, single);
        Assert.Equal(expected, chunked);
        Assert.Equal([1, 2, 3], progress);
    }

    [Fact]
    public async Task TypedAndUntypedFutures_MixInWaitAndAsCompleted()
    {
        await using var scope = new FutureScope(cluster);
        ClusterFuture[] futures =
        [
            scope.Executor.Submit(MathTasks.Fib, 20),
            scope.Executor.Submit(MathTasks.Sleep, 0.05),
            scope.Executor.Submit(MathTasks.WhoAmI),
            scope.Executor.Submit("echo", "raw"),
        ];

        var (done, notDone) = await ClusterFutures.WaitAsync(futures, TimeSpan.FromSeconds(60)).WithTimeout();

        Assert.Equal(4, done.Count);
        Assert.Empty(notDone);
        Assert.Equal(futures.ToHashSet(), ClusterFutures.AsCompleted(futures, TimeSpan.Zero).ToHashSet());
        Assert.Equal(6765L, ((ClusterFuture<long>)futures[0]).Result(TimeSpan.Zero));
    }
}
