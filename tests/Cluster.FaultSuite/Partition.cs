using System.Diagnostics;
using System.Globalization;
using Cluster.Client;
using Cluster.Testing;

namespace Cluster.FaultSuite;

/// <summary>
/// A worker host in its own network namespace, joined to this one by a veth pair; the link is cut
/// for twice the lease and then healed. Needs root and iproute2; skipped with a note otherwise.
/// </summary>
internal static class Partition
{
    private const string Name = "network-partition";
    private const string Fault = "a worker host (own netns, veth) cut off for twice its lease, then healed";

    public static async Task<Figures> RunAsync(int tasks)
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var (ns, outer, inner) = ("clns" + suffix, "clo" + suffix, "cli" + suffix);
        if (ProgramPath.Find("ip") is null || !Ip("netns", "add", ns))
        {
            return Figures.Skipped(Name, Fault, "needs root and iproute2 (ip netns)");
        }
        try
        {
            var ok = Ip("link", "add", outer, "type", "veth", "peer", "name", inner)
                && Ip("link", "set", inner, "netns", ns)
                && Ip("addr", "add", "10.231.0.1/24", "dev", outer)
                && Ip("link", "set", outer, "up")
                && Ip("netns", "exec", ns, "ip", "addr", "add", "10.231.0.2/24", "dev", inner)
                && Ip("netns", "exec", ns, "ip", "link", "set", inner, "up")
                && Ip("netns", "exec", ns, "ip", "link", "set", "lo", "up");
            if (!ok)
            {
                return Figures.Skipped(Name, Fault, "could not set up the veth pair");
            }
            return await RunInsideAsync(tasks, ns, outer);
        }
        finally
        {
            Ip("link", "del", outer);
            Ip("netns", "del", ns);
        }
    }

    private static async Task<Figures> RunInsideAsync(int tasks, string ns, string outer)
    {
        await using var rig = await Rig.StartAsync();
        try
        {
            var port = RedisServer.FreeLoopbackPort();
            // The coordinator listens on the veth address this suite made, reachable from both namespaces.
            var coordinator = rig.Track(ChildProcess.StartCluster("coordinator", "--host", "10.231.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
                "--redis", rig.Redis.Address, "--lease-ms", Rig.LeaseMs.ToString(CultureInfo.InvariantCulture), "--heartbeat-ms", "500"));
            await coordinator.WaitForOutputAsync("Coordinator listening on", TimeSpan.FromSeconds(60));
            var url = $"http://10.231.0.1:{port}";
            var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? ProgramPath.Find("dotnet") ?? "dotnet";
            var cutOff = rig.Track(ChildProcess.Start("ip", ["netns", "exec", ns, dotnet, Path.Combine(AppContext.BaseDirectory, "cluster.dll"),
                "worker", "--coordinator", url, "--processes", "1", "--exit-with-parent"], new Dictionary<string, string>(rig.Trace.Environment)));
            rig.WorkerDaemon(url, processes: 1);
            await rig.WaitForWorkersAsync(url, 2);
            // `ip netns exec` runs the daemon in its own place: its worker processes are the ones cut off.
            var hit = rig.WorkerProcesses(cutOff);

            await using var executor = new ClusterExecutor(url);
            var work = new Workload(executor);
            work.Spin(tasks, 20);
            await work.WaitForDoneAsync(tasks / 5);
            rig.NoteChildren();
            work.MarkFault();
            var cut = Ip("link", "set", outer, "down");
            await Task.Delay(TimeSpan.FromMilliseconds(Rig.LeaseMs * 2 + 500));
            var healed = Ip("link", "set", outer, "up");
            var outcome = await work.FinishAsync(TimeSpan.FromSeconds(180));
            await executor.ShutdownAsync(wait: false, cancelFutures: true);
            var trace = rig.Trace.Read();
            var left = await rig.StopAsync();
            var injected = Injected.Hitting(cut && healed && hit.Count > 0, hit);
            return Figures.Judge(Name, Fault, tasks, injected.Faults(trace), 1, outcome, trace, run => injected.Hit(trace, run), Scenarios.RunBound, left);
        }
        catch (Exception e)
        {
            return Figures.Broken(Name, Fault, tasks, await rig.StopAsync(), e);
        }
    }

    private static bool Ip(params string[] args)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info)!;
        process.WaitForExit(10_000);
        return process.ExitCode == 0;
    }
}
