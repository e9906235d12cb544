using Cluster.Client;
using Cluster.Contracts;
using Cluster.IntegrationTests.Infrastructure;
using Xunit.Abstractions;
using static Cluster.IntegrationTests.Hosts.HostTrace;

namespace Cluster.IntegrationTests.Hosts;

/// <summary>
/// Two coordinators on hosts of their own (network namespaces on a bridge, <see cref="NetworkHosts"/>)
/// sharing one redis-server on a third host; a worker daemon on each of two more hosts and the
/// client (this process, joined to the bridge) given both coordinators' addresses, each with its
/// token. One coordinator is killed mid-run. Needs root and `ip netns`: skipped with the reason
/// otherwise, and never in CI.
/// </summary>
public sealed class CoordinatorHostsTests(ITestOutputHelper output)
{
    private const int Tasks = 4000;

    [SkippableFact]
    public async Task CoordinatorKilledOnItsHost_ClientAndWorkersMoveToTheOtherHost_AndEveryTaskCompletesOnceOnTheWire()
    {
        Requirements.Require(NetworkHosts.Missing ?? RedisServer.Missing);
        var trace = Directory.CreateTempSubdirectory("cluster-test-coordinator-hosts-").FullName;
        var hosts = NetworkHosts.Create("store", "coordinator1", "coordinator2", "worker1", "worker2");
        try
        {
            hosts.JoinThisHost();
            HopTrace.Start(trace);
            try
            {
                await RunAsync(hosts, trace);
            }
            finally
            {
                HopTrace.Stop();
            }
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
        var store = hosts["store"];
        await hosts.StartRedisAsync(store, reachable: true);
        var (workerToken, clientToken) = (ClusterFixture.NewToken(), ClusterFixture.NewToken());
        var tokens = Path.Combine(trace, "tokens");
        await File.WriteAllTextAsync(tokens, $"worker hosts {workerToken}\nclient app {clientToken}\n");
        string[] options = ["--lease-ms", "2000", "--heartbeat-ms", "500", "--verbose", "--tokens", tokens];
        var (killed, killedUrl) = await hosts.StartCoordinatorAsync(hosts["coordinator1"], $"{store.Address}:6379", options);
        var (survivor, survivorUrl) = await hosts.StartCoordinatorAsync(hosts["coordinator2"], $"{store.Address}:6379", options);

        // Each daemon dials a coordinator of its own first, the other one next.
        var workerEnvironment = new Dictionary<string, string> { [HopTrace.EnvironmentVariable] = trace, ["CLUSTER_TOKEN"] = workerToken };
        var movingDaemon = hosts.StartCluster(hosts["worker1"], workerEnvironment, "worker", "--coordinator", killedUrl, "--coordinator", survivorUrl, "--processes", "1");
        var stayingDaemon = hosts.StartCluster(hosts["worker2"], workerEnvironment, "worker", "--coordinator", survivorUrl, "--coordinator", killedUrl, "--processes", "1");
        var moving = await ConnectedWorkerAsync(killed, movingDaemon);
        var staying = await ConnectedWorkerAsync(survivor, stayingDaemon);

        // The client submits to, and reads its completions from, the first address: the one killed.
        await using var executor = new ClusterExecutor([killedUrl, survivorUrl], new ClusterExecutorOptions { Token = clientToken });
        var futures = Enumerable.Range(0, Tasks).Select(_ => executor.Submit<int>("spin", 5)).ToList();
        await TaskTimeouts.Eventually(() => Task.FromResult(futures.Count(f => f.Done) >= Tasks / 5), "a fifth of the tasks are done");
        Assert.True(ChildProcess.Signal(killed.Id, ChildProcess.SigKill), "the coordinator was alive when killed");
        await killed.WaitForExitAsync(TimeSpan.FromSeconds(30));
        var atKill = (Done: futures.Count(f => f.Done), Moving: Started(trace, moving));
        Assert.True(atKill.Done < Tasks, "the client still waited for tasks when the coordinator was killed");

        // The worker of the killed coordinator dials the other one.
        await survivor.WaitForOutputAsync($@"connected from .* \(pid {moving}\)", TimeSpan.FromSeconds(60));
        var results = await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout(TimeSpan.FromSeconds(180));
        Assert.All(results, r => Assert.Equal(5, r));
        var wire = Completions(trace, futures.Select(f => f.Id).ToHashSet());
        Assert.Equal(Tasks, wire.Count);
        Assert.All(wire, w => Assert.Equal(1, w.Value));
        var runs = HopMarks.Read(trace).Where(m => m.Point == "worker.started").GroupBy(m => m.TaskId).Count(g => g.Count() > 1);
        output.WriteLine($"{Tasks} tasks; coordinator on {hosts["coordinator1"].Address} killed with {atKill.Done} done; the moved worker had begun {atKill.Moving} runs, {Started(trace, moving)} at the end; the other {Started(trace, staying)}");
        output.WriteLine($"every task completed once on the wire; {runs} tasks began a second run (their worker's coordinator died under them)");
    }
}
