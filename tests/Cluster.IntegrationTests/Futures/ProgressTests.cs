using System.Collections.Concurrent;
using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.SampleTasks.Contracts;

namespace Cluster.IntegrationTests.Futures;

/// <summary>Progress a running task reports reaches its future: the ProgressChanged event and the Progress property.</summary>
[Collection("futures")]
public sealed class ProgressTests(EmbeddedCluster cluster)
{
    [Fact]
    public async Task ProgressReports_ReachTheFuture_WhileItRuns_ThenTheResult()
    {
        await using var scope = new FutureScope(cluster);
        var reports = new ConcurrentQueue<(TaskProgress Progress, FutureState State)>();
        var future = scope.Executor.Submit(MathTasks.Progress, 10);
        future.ProgressChanged += (sender, progress) => reports.Enqueue((progress, ((ClusterFuture)sender!).State));

        Assert.Equal(10, await future.WithTimeout());

        Assert.NotEmpty(reports);
        Assert.All(reports, r =>
        {
            Assert.InRange(r.Progress.Fraction, double.Epsilon, 1.0);
            Assert.Matches(@"^step \d+ of 10$", r.Progress.Message);
            // A report means the task runs: the future is Running when it is raised.
            Assert.Equal(FutureState.Running, r.State);
        });
        var fractions = reports.Select(r => r.Progress.Fraction).ToList();
        Assert.Equal(fractions.Order(), fractions);
        Assert.NotNull(future.Progress);
        Assert.InRange(future.Progress.Fraction, double.Epsilon, 1.0);
        Assert.Equal(FutureState.Finished, future.State);
    }

    [Fact]
    public async Task ATaskThatReportsNoProgress_LeavesProgressNull()
    {
        await using var scope = new FutureScope(cluster);
        var raised = 0;
        var future = scope.Executor.Submit<double>("sleep", 0.2);
        future.ProgressChanged += (_, _) => Interlocked.Increment(ref raised);

        Assert.Equal(0.2, await future.WithTimeout());

        Assert.Null(future.Progress);
        Assert.Equal(0, Volatile.Read(ref raised));
    }
}
