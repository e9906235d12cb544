using System.Globalization;
using Cluster.Contracts;
using Cluster.IntegrationTests.Infrastructure;
using Xunit.Abstractions;
using static Cluster.IntegrationTests.Hosts.HostTrace;

namespace Cluster.IntegrationTests.Hosts;

/// <summary>
/// The cluster across separate hosts: network namespaces joined by a bridge (<see cref="NetworkHosts"/>),
/// redis-server and the coordinator on one (the coordinator on that host's 10.77.n.x address),
/// a worker daemon on each of two more, the client (`cluster demo`) on a fourth, each with its token. Needs root and
/// `ip netns`: skipped with the reason otherwise, and never in CI.
/// </summary>
public sealed class NetworkHostsTests(ITestOutputHelper output)
{
    // Enough that the run outlasts the wait for both worker hosts to start tasks, with room to spare:
    // with 4,000 a fast run once finished before the cut, and with 20,000 one had 9,189 done at it.
    private const int Tasks = 50_000;

    [SkippableFact]
    public async Task WorkerHostCutOffWhileTasksRun_TheOtherHostTakesOver_AndEveryTaskCompletesOnceOnTheWire()
    {
        Requirements.Require(NetworkHosts.Missing ?? RedisServer.Missing);
        var trace = Directory.CreateTempSubdirectory("cluster-test-hosts-").FullName;
        var hosts = NetworkHosts.Create("store", "worker1", "worker2", "client");
        try
        {
            await RunAsync(hosts, trace);
        }
        finally
        {
            await hosts.DisposeAsync();
            Directory.Delete(trace, recursive: true);
        }
        Assert.Empty(hosts.Existing());
    }

    private async Task RunAsync(NetworkHosts hosts, string trace)
    {
        var (store, cutOff, other, client) = (hosts["store"], hosts["worker1"], hosts["worker2"], hosts["client"]);
        // The store listens on its host's loopback: only the coordinator beside it reaches it.
        var redis = hosts.Start(store, ProgramPath.Find("redis-server")!, ["--port", "6379", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
        await redis.WaitForOutputAsync("Ready to accept connections", TimeSpan.FromSeconds(30));
        // Beyond loopback the coordinator wants tokens: the worker hosts and the client get one each.
        var (workerToken, clientToken) = (ClusterFixture.NewToken(), ClusterFixture.NewToken());
        var tokens = Path.Combine(trace, "tokens");
        await File.WriteAllTextAsync(tokens, $"worker hosts {workerToken}\nclient app {clientToken}\n");
        var coordinator = hosts.StartCluster(store, new Dictionary<string, string>(), "coordinator", "--host", store.Address, "--port", "5050",
            "--redis", "127.0.0.1:6379", "--lease-ms", "2000", "--heartbeat-ms", "500", "--verbose", "--tokens", tokens);
        await coordinator.WaitForOutputAsync("Coordinator listening on", TimeSpan.FromSeconds(60));
        var url = $"http://{store.Address}:5050";
        var traced = new Dictionary<string, string> { [HopTrace.EnvironmentVariable] = trace };
        var workerEnvironment = new Dictionary<string, string>(traced) { ["CLUSTER_TOKEN"] = workerToken };
        var cutOffDaemon = hosts.StartCluster(cutOff, workerEnvironment, "worker", "--coordinator", url, "--processes", "1");
        var otherDaemon = hosts.StartCluster(other, workerEnvironment, "worker", "--coordinator", url, "--processes", "1");
        var cutOffWorker = await ConnectedWorkerAsync(coordinator, cutOffDaemon);
        var otherWorker = await ConnectedWorkerAsync(coordinator, otherDaemon);

        var demo = hosts.StartCluster(client, traced, "demo", "--coordinator", url, "--tasks", Tasks.ToString(CultureInfo.InvariantCulture), "--token", clientToken);
        await TaskTimeouts.Eventually(() => Task.FromResult(Started(trace, cutOffWorker) > 0 && Started(trace, otherWorker) > 0), "both worker hosts run tasks");
        hosts.Cut(cutOff);
        var atCut = (CutOff: Started(trace, cutOffWorker), Other: Started(trace, otherWorker), Completed: Completions(trace).Values.Sum());
        Assert.True(atCut.Completed < Tasks, "the client still waited for tasks when the host was cut off");

        var code = await demo.WaitForExitAsync(TimeSpan.FromSeconds(180));
        Assert.True(code == 0, demo.Output);
        Assert.Contains($"{Tasks:N0} of {Tasks:N0} results right, 0 wrong", demo.Output, StringComparison.Ordinal);
        var wire = Completions(trace);
        Assert.Equal(Tasks, wire.Count);
        Assert.All(wire, w => Assert.Equal(1, w.Value));
        var after = (CutOff: Started(trace, cutOffWorker), Other: Started(trace, otherWorker));
        Assert.True(after.Other > atCut.Other, "the other worker host ran tasks after the cut");
        output.WriteLine($"{Tasks} tasks; at the cut {atCut.Completed} completed, runs begun: cut-off host {atCut.CutOff}, other host {atCut.Other}");
        output.WriteLine($"at the end runs begun: cut-off host {after.CutOff}, other host {after.Other}; every task completed once on the wire");
    }
}
