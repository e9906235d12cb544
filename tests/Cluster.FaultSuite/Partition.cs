using System.Globalization;
using Cluster.Client;
using Cluster.Testing;

namespace Cluster.FaultSuite;

/// <summary>
/// Separate hosts (<see cref="NetworkHosts"/>: a network namespace each, joined by a bridge):
/// redis-server and the coordinator on one, a worker daemon on each of two more, and this process
/// as the client host. One worker host is cut off from the network for twice the lease while
/// tasks run, then healed. Needs root and iproute2; skipped with a note otherwise.
/// </summary>
internal static class Partition
{
    private const string Name = "network-partition";
    private const string Fault = "a worker host (own netns on a bridge, beside a store+coordinator host and the client's) cut off for twice its lease, then healed";

    public static async Task<Figures> RunAsync(int tasks)
    {
        if (NetworkHosts.Missing is { } missing)
        {
            return Figures.Skipped(Name, Fault, missing);
        }
        await using var hosts = NetworkHosts.Create("store", "worker1", "worker2");
        hosts.JoinThisHost();
        await using var rig = await Rig.StartAsync();
        try
        {
            var (store, cutOffHost, otherHost) = (hosts["store"], hosts["worker1"], hosts["worker2"]);
            // The store listens on its host's loopback: only the coordinator beside it reaches it.
            var redis = rig.Track(hosts.Start(store, ProgramPath.Find("redis-server")!, ["--port", "6379", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]));
            await redis.WaitForOutputAsync("Ready to accept connections", TimeSpan.FromSeconds(30));
            var coordinator = rig.Track(hosts.StartCluster(store, new Dictionary<string, string>(), "coordinator", "--host", store.Address, "--port", "5050",
                "--redis", "127.0.0.1:6379", "--lease-ms", Rig.LeaseMs.ToString(CultureInfo.InvariantCulture), "--heartbeat-ms", "500",
                // Hosts the suite made for itself: no tokens needed.
                "--insecure"));
            await coordinator.WaitForOutputAsync("Coordinator listening on", TimeSpan.FromSeconds(60));
            var url = $"http://{store.Address}:5050";
            var cutOff = rig.Track(hosts.StartCluster(cutOffHost, rig.Trace.Environment, "worker", "--coordinator", url, "--processes", "1"));
            rig.Track(hosts.StartCluster(otherHost, rig.Trace.Environment, "worker", "--coordinator", url, "--processes", "1"));
            await rig.WaitForWorkersAsync(url, 2);
            // `ip netns exec` becomes the daemon: its worker processes are the ones cut off.
            var hit = rig.WorkerProcesses(cutOff);

            await using var executor = new ClusterExecutor(url);
            var work = new Workload(executor);
            work.Spin(tasks, 20);
            await work.WaitForDoneAsync(tasks / 5);
            rig.NoteChildren();
            work.MarkFault();
            hosts.Cut(cutOffHost);
            // The fault lasts twice the lease: long enough for the host's leases to expire and move.
            await Task.Delay(TimeSpan.FromMilliseconds(Rig.LeaseMs * 2 + 500));
            hosts.Heal(cutOffHost);
            var outcome = await work.FinishAsync(TimeSpan.FromSeconds(180));
            await executor.ShutdownAsync(wait: false, cancelFutures: true);
            var trace = rig.Trace.Read();
            var left = await rig.StopAsync();
            var injected = Injected.Hitting(hit.Count > 0, hit);
            return Figures.Judge(Name, Fault, tasks, injected.Faults(trace), 1, outcome, trace, run => injected.Hit(trace, run), Scenarios.RunBound, left);
        }
        catch (Exception e)
        {
            return Figures.Broken(Name, Fault, tasks, await rig.StopAsync(), e);
        }
    }
}
