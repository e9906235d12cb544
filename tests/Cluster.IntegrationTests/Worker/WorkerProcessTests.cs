using System.Text.RegularExpressions;
using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;

namespace Cluster.IntegrationTests.Worker;

/// <summary>
/// A worker process's capacity, its messages and its task assemblies, on a real cluster: the
/// coordinator and a worker daemon as processes, real gRPC. Runs once on each store.
/// </summary>
public abstract partial class WorkerProcessTests<TFixture>(TFixture cluster) where TFixture : WorkerCluster
{
    protected TFixture Cluster { get; } = cluster;

    [SkippableFact]
    public async Task TaskLeasedAgainToTheSameProcess_WhileItsFirstRunGoesOn_LeavesEverySlotServingTasks()
    {
        Cluster.Require();
        await using var executor = Cluster.NewExecutor();
        var first = executor.Submit<double>("sleep", 10.0);
        await TaskTimeouts.Eventually(() => Task.FromResult(first.Running), "the sleep is running");
        var pid = (await Cluster.Admin.StatusAsync(new StatusRequest())).Workers.Single().ProcessId;
        var expired = LeaseExpiries();

        // Paused past its lease: the task goes back to its queue, and is leased again to this same
        // process (its only one) while the first run still sleeps.
        ChildProcess.Signal(pid, ChildProcess.SigStop);
        try
        {
            await TaskTimeouts.Eventually(() => Task.FromResult(LeaseExpiries() > expired), "the paused worker's lease has expired");
        }
        finally
        {
            ChildProcess.Signal(pid, ChildProcess.SigCont);
        }

        Assert.Equal(10.0, await first.AsTask().WithTimeout());
        Assert.Equal(2, first.Attempt);
        // Both runs ended: both coroutine slots take tasks again.
        var a = executor.Submit<double>("sleep", 60.0);
        var b = executor.Submit<double>("sleep", 60.0);
        try
        {
            await TaskTimeouts.Eventually(() => Task.FromResult(a.Running && b.Running), "both coroutine slots run a sleep", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await a.CancelAsync(interrupt: true).WithTimeout();
            await b.CancelAsync(interrupt: true).WithTimeout();
        }
    }

    [SkippableFact]
    public async Task ResultOverTheCoordinatorsLimit_FailsItsTask_WithResultTooLarge()
    {
        Cluster.Require();
        await using var executor = Cluster.NewExecutor();

        var future = executor.Submit<string>("echo", new string('x', WorkerCluster.MaxResult));
        var error = await Assert.ThrowsAsync<RemoteTaskException>(() => future.AsTask().WithTimeout());

        Assert.Equal("Cluster.ResultTooLarge", error.RemoteType);
        Assert.Equal($"the result of task {future.Id} is {WorkerCluster.MaxResult + 2} bytes; the limit is {WorkerCluster.MaxResult}", error.RemoteMessage);
        Assert.Equal(1, error.Attempt);
    }

    [SkippableFact]
    public async Task ManyMidSizeResults_AllComplete_EachInOneAttempt()
    {
        Cluster.Require();
        await using var executor = Cluster.NewExecutor();
        var lost = ConnectionsLost();
        var text = new string('y', 500 * 1024);

        // Together far more than one message may hold: they travel in as many as their bytes need.
        var futures = Enumerable.Range(0, 60).Select(_ => executor.Submit<string>("echo", text)).ToList();
        var results = await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout();

        Assert.All(results, r => Assert.Equal(text, r));
        Assert.All(futures, f => Assert.Equal(1, f.Attempt));
        Assert.Equal(lost, ConnectionsLost());
    }

    [SkippableFact]
    public async Task TaskAssemblyWithAPackageDependency_BuiltNotPublished_RunsItsTask()
    {
        Cluster.Require();
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(TaskLibraries.Humanizer)!, "Humanizer.dll")), "the package is not beside the task assembly");
        await using var executor = Cluster.NewExecutor();

        var future = executor.Submit<string>("humanize", "PascalCaseInputString");

        Assert.Equal("Pascal case input string", await future.AsTask().WithTimeout());
    }

    /// <summary>How often the coordinator has logged a worker's lease expiring.</summary>
    private int LeaseExpiries() => LeaseExpired().Count(Cluster.Output);

    /// <summary>How often the worker process has logged a lost connection.</summary>
    private int ConnectionsLost() => ConnectionLost().Count(Cluster.Output);

    [GeneratedRegex(@"Lease of worker \S+ expired")]
    private static partial Regex LeaseExpired();

    [GeneratedRegex(@"Connection to \S+ lost")]
    private static partial Regex ConnectionLost();
}
