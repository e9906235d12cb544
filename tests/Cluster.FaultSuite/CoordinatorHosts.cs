using System.Globalization;
using Cluster.Client;
using Cluster.Testing;

namespace Cluster.FaultSuite;

/// <summary>
/// Two coordinators on hosts of their own (<see cref="NetworkHosts"/>: a network namespace each,
/// joined by a bridge) sharing one redis-server on a third; a worker daemon on each of two more
/// hosts, each dialing a different coordinator first; this process as the client host, given both
/// addresses. The coordinator the client and one daemon use is killed mid-run. Needs root and
/// iproute2; skipped with a note otherwise.
/// </summary>
internal static class CoordinatorHosts
{
    private const string Name = "coordinator-host-failover";
    private const string Fault = "two coordinators on two hosts (own netns each) on a store host; kill -9 one: the client and its workers move to the other host";

    public static async Task<Figures> RunAsync(int tasks)
    {
        if (NetworkHosts.Missing is { } missing)
        {
            return Figures.Skipped(Name, Fault, missing);
        }
        await using var hosts = NetworkHosts.Create("store", "coordinator1", "coordinator2", "worker1", "worker2");
        hosts.JoinThisHost();
        await using var rig = await Rig.StartAsync();
        try
        {
            var store = hosts["store"];
            rig.Track(await hosts.StartRedisAsync(store, reachable: true, "--appendonly", "yes", "--appendfsync", "always"));
            // Hosts the suite made for itself: no tokens needed.
            string[] options = ["--lease-ms", Rig.LeaseMs.ToString(CultureInfo.InvariantCulture), "--heartbeat-ms", "500", "--insecure"];
            var (killed, killedUrl) = await hosts.StartCoordinatorAsync(hosts["coordinator1"], $"{store.Address}:6379", options);
            var (survivor, survivorUrl) = await hosts.StartCoordinatorAsync(hosts["coordinator2"], $"{store.Address}:6379", options);
            rig.Track(killed);
            rig.Track(survivor);
            var moving = rig.Track(hosts.StartCluster(hosts["worker1"], rig.Trace.Environment, "worker", "--coordinator", killedUrl, "--coordinator", survivorUrl, "--processes", "1"));
            rig.Track(hosts.StartCluster(hosts["worker2"], rig.Trace.Environment, "worker", "--coordinator", survivorUrl, "--coordinator", killedUrl, "--processes", "1"));
            await rig.WaitForWorkersAsync(killedUrl, 2);
            var cutOff = rig.WorkerProcesses(moving);

            await using var executor = new ClusterExecutor([killedUrl, survivorUrl]);
            var work = new Workload(executor);
            work.Spin(tasks, 2);
            await work.WaitForDoneAsync(tasks / 5);
            rig.NoteChildren();
            work.MarkFault();
            var before = (await Rig.ConnectionsAsync(survivorUrl)).Select(c => c.Id).ToHashSet();
            var injected = await Scenarios.CutOffUntilReconnectedAsync(await Inject.KillAsync(killed.Id), survivorUrl, cutOff, before);
            var outcome = await work.FinishAsync(TimeSpan.FromSeconds(180));
            await executor.ShutdownAsync(wait: false, cancelFutures: true);
            var trace = rig.Trace.Read();
            var left = await rig.StopAsync();
            return Figures.Judge(Name, Fault, tasks, injected.Faults(trace), 1, outcome, trace, run => injected.Hit(trace, run), Scenarios.RunBound, left);
        }
        catch (Exception e)
        {
            return Figures.Broken(Name, Fault, tasks, await rig.StopAsync(), e);
        }
    }
}
