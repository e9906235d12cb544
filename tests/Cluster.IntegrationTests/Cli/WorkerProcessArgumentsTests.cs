using Cluster.Cli;
using Cluster.Cli.Commands;
using Cluster.Cli.Settings;

namespace Cluster.IntegrationTests.Cli;

/// <summary>What the worker daemon passes to each worker process it starts.</summary>
public sealed class WorkerProcessArgumentsTests
{
    [Fact]
    public void TheDaemonsWorkerSettings_ReachEachWorkerProcess_OnItsCommandLine()
    {
        var settings = new WorkerSettings(Processes: 2, Threads: 3, Coroutines: 40, Tasks: [WorkerSettings.SampleTasks], Verbose: false) { Prefetch = 7, Queues = ["a", "b"] };

        var info = WorkerCommand.ChildStartInfo([new Uri("http://127.0.0.1:5999/")], settings, token: null, slot: 1);
        var args = info.ArgumentList.ToList();

        string After(Setting flag) => args[args.IndexOf(flag.Flag) + 1];
        Assert.Equal("worker-process", args[args.IndexOf(ClusterOptions.Coordinators.Flag) - 1]);
        Assert.Equal("http://127.0.0.1:5999/", After(ClusterOptions.Coordinators));
        Assert.Equal("3", After(ClusterOptions.Threads));
        Assert.Equal("40", After(ClusterOptions.Coroutines));
        Assert.Equal("7", After(ClusterOptions.Prefetch));
        Assert.Equal("a,b", After(ClusterOptions.Queues));
    }
}
