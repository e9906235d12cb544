using System.Diagnostics;
using System.Globalization;

namespace Cluster.Testing;

/// <summary>
/// Separate hosts on one machine: a network namespace per host, each joined by a veth pair to a
/// bridge that lives in a namespace of its own (the switch), with addresses 10.77.n.2, .3, ... on
/// a /24 of 10.77.0.0/16 drawn per instance. Nothing is added to this process's own namespace
/// unless it joins the switch too (<see cref="JoinThisHost"/>). Names are unique per instance, so
/// runs side by side do not meet. A host is partitioned by taking its switch port down.
/// Disposing stops every process started on a host (by PID) and deletes every namespace, which
/// deletes their links.
/// </summary>
public sealed class NetworkHosts : IAsyncDisposable
{
    private static readonly Lazy<string?> Probe = new(ProbeMissing);

    private readonly string _switch;
    private readonly List<string> _namespaces = [];
    private readonly List<ChildProcess> _processes = [];
    private readonly Dictionary<string, NetworkHost> _hosts = [];
    private readonly string _subnet;

    private NetworkHosts(string id)
    {
        Id = id;
        _switch = id + "-switch";
        _subnet = "10.77." + Random.Shared.Next(1, 255).ToString(CultureInfo.InvariantCulture) + ".";
    }

    /// <summary>This instance's unique part of every namespace name.</summary>
    public string Id { get; }

    /// <summary>Why namespaces cannot be made here (not root, no iproute2, no netns support); null when they can.</summary>
    public static string? Missing => Probe.Value;

    public NetworkHost this[string name] => _hosts[name];

    public IReadOnlyCollection<NetworkHost> Hosts => _hosts.Values;

    /// <summary>Makes the switch and one host per name ("store", "worker1", ...), each with its address.</summary>
    public static NetworkHosts Create(params string[] names)
    {
        if (Missing is { } missing)
        {
            throw new InvalidOperationException(missing);
        }
        var hosts = new NetworkHosts("cl" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            hosts.AddNamespace(hosts._switch);
            Ip("-n", hosts._switch, "link", "add", "br0", "type", "bridge");
            Ip("-n", hosts._switch, "link", "set", "br0", "up");
            for (var i = 0; i < names.Length; i++)
            {
                var host = new NetworkHost(names[i], $"{hosts.Id}-{names[i]}", hosts._subnet + (i + 2).ToString(CultureInfo.InvariantCulture), "p" + i.ToString(CultureInfo.InvariantCulture));
                hosts.AddNamespace(host.Namespace);
                Ip("-n", hosts._switch, "link", "add", host.SwitchPort, "type", "veth", "peer", "name", "eth0", "netns", host.Namespace);
                Ip("-n", hosts._switch, "link", "set", host.SwitchPort, "master", "br0");
                Ip("-n", hosts._switch, "link", "set", host.SwitchPort, "up");
                Ip("-n", host.Namespace, "addr", "add", host.Address + "/24", "dev", "eth0");
                Ip("-n", host.Namespace, "link", "set", "eth0", "up");
                hosts._hosts[host.Name] = host;
            }
            return hosts;
        }
        catch
        {
            hosts.DeleteNamespaces();
            throw;
        }
    }

    /// <summary>
    /// Joins this process's own namespace to the switch as a host (address .1), so that this
    /// process can be the client of the others. Its link goes when the switch does.
    /// </summary>
    public NetworkHost JoinThisHost()
    {
        // The link's name in this namespace is the instance id: unique, and within the 15 characters a link name may have.
        var host = new NetworkHost("this", Id, _subnet + "1", "pthis");
        Ip("-n", _switch, "link", "add", host.SwitchPort, "type", "veth", "peer", "name", Id, "netns", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Ip("-n", _switch, "link", "set", host.SwitchPort, "master", "br0");
        Ip("-n", _switch, "link", "set", host.SwitchPort, "up");
        Ip("addr", "add", host.Address + "/24", "dev", Id);
        Ip("link", "set", Id, "up");
        _hosts[host.Name] = host;
        return host;
    }

    /// <summary>Starts <paramref name="program"/> on <paramref name="host"/> (`ip netns exec`, which becomes the program: its PID is the program's).</summary>
    public ChildProcess Start(NetworkHost host, string program, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var process = ChildProcess.Start(IpPath, ["netns", "exec", host.Namespace, program, .. arguments], environment);
        _processes.Add(process);
        return process;
    }

    /// <summary>Starts the cluster command on <paramref name="host"/>, as <see cref="ChildProcess.StartCluster(string[])"/> does here.</summary>
    public ChildProcess StartCluster(NetworkHost host, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        Start(host, ChildProcess.DotnetHost, [ChildProcess.ClusterDll, .. ChildProcess.FreeHttpPort(arguments), "--exit-with-parent"], new Dictionary<string, string>(environment) { ["DOTNET_TC_QuickJit"] = "1" });

    /// <summary>
    /// Starts redis-server on <paramref name="host"/>, port 6379: on its loopback only, or with
    /// <paramref name="reachable"/> on its address for the other hosts (no password: these hosts are
    /// the run's own). Returns once it accepts connections.
    /// </summary>
    public async Task<ChildProcess> StartRedisAsync(NetworkHost host, bool reachable, params string[] more)
    {
        var redis = Start(host, ProgramPath.Find("redis-server") ?? throw new InvalidOperationException(RedisServer.Missing),
            ["--port", "6379", "--bind", reachable ? host.Address : "127.0.0.1", "--protected-mode", "no", "--save", "", .. more]);
        await redis.WaitForOutputAsync("Ready to accept connections", TimeSpan.FromSeconds(30));
        return redis;
    }

    /// <summary>
    /// Starts a coordinator on <paramref name="host"/>, serving its address on port 5050, on the
    /// store <paramref name="redis"/> (host:port), with <paramref name="more"/> options; returns
    /// the process and its URL once it listens.
    /// </summary>
    public async Task<(ChildProcess Process, string Url)> StartCoordinatorAsync(NetworkHost host, string redis, params string[] more)
    {
        var coordinator = StartCluster(host, new Dictionary<string, string>(), ["coordinator", "--host", host.Address, "--port", "5050", "--redis", redis, .. more]);
        await coordinator.WaitForOutputAsync("Coordinator listening on", TimeSpan.FromSeconds(60));
        return (coordinator, $"http://{host.Address}:5050");
    }

    /// <summary>
    /// Gives every host a hosts file in which <paramref name="name"/> resolves to the addresses of
    /// <paramref name="targets"/>, as a DNS name with several A records would (`ip netns exec`
    /// mounts /etc/netns/NAMESPACE/hosts over /etc/hosts for what it starts; this process's own
    /// namespace keeps its file). Start the processes that use the name afterwards.
    /// </summary>
    public void Name(string name, params NetworkHost[] targets)
    {
        var text = "127.0.0.1 localhost\n" + string.Concat(targets.Select(t => $"{t.Address} {name}\n"));
        foreach (var host in _hosts.Values.Where(h => _namespaces.Contains(h.Namespace)))
        {
            var directory = Path.Combine("/etc/netns", host.Namespace);
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Combine(directory, "hosts"), text);
        }
    }

    /// <summary>Cuts <paramref name="host"/> off the network: its switch port goes down; nothing reaches it or leaves it.</summary>
    public void Cut(NetworkHost host) => Ip("-n", _switch, "link", "set", host.SwitchPort, "down");

    /// <summary>Joins <paramref name="host"/> to the network again.</summary>
    public void Heal(NetworkHost host) => Ip("-n", _switch, "link", "set", host.SwitchPort, "up");

    /// <summary>The namespaces of this instance that exist now (empty once disposed).</summary>
    public IReadOnlyList<string> Existing() =>
        [.. Run(IpPath, ["netns", "list"]).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]).Where(n => n.StartsWith(Id + "-", StringComparison.Ordinal))];

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var process in _processes.AsEnumerable().Reverse())
            {
                await process.DisposeAsync();
            }
        }
        finally
        {
            DeleteNamespaces();
        }
    }

    private void AddNamespace(string name)
    {
        Ip("netns", "add", name);
        _namespaces.Add(name);
        Ip("-n", name, "link", "set", "lo", "up");
    }

    private void DeleteNamespaces()
    {
        foreach (var name in _namespaces.AsEnumerable().Reverse())
        {
            // Deleting a namespace deletes the links in it, and with a veth end its peer.
            Run(IpPath, ["netns", "del", name]);
            if (Directory.Exists(Path.Combine("/etc/netns", name)))
            {
                Directory.Delete(Path.Combine("/etc/netns", name), recursive: true);
            }
        }
        _namespaces.Clear();
    }

    private static string IpPath => ProgramPath.Find("ip") ?? "ip";

    private static void Ip(params string[] arguments)
    {
        var (code, output) = Run(IpPath, arguments);
        if (code != 0)
        {
            throw new InvalidOperationException($"`ip {string.Join(' ', arguments)}` failed ({code}): {output.Trim()}");
        }
    }

    private static (int Code, string Output) Run(string program, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(10_000))
        {
            process.Kill();
            return (-1, "timed out");
        }
        return (process.ExitCode, output.Result + error.Result);
    }

    private static string? ProbeMissing()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces need Linux";
        }
        if (!Environment.IsPrivilegedProcess)
        {
            return "network namespaces need root (the tests run as root in CI)";
        }
        if (ProgramPath.Find("ip") is null)
        {
            return "iproute2 is not installed (apt-get install iproute2)";
        }
        var name = "clprobe" + Guid.NewGuid().ToString("N")[..8];
        var (code, output) = Run(IpPath, ["netns", "add", name]);
        if (code != 0)
        {
            return $"`ip netns add` fails here: {output.Trim()}";
        }
        var bridge = Run(IpPath, ["-n", name, "link", "add", "br0", "type", "bridge"]);
        Run(IpPath, ["netns", "del", name]);
        return bridge.Code != 0 ? $"no bridge can be made in a namespace: {bridge.Output.Trim()}" : null;
    }
}
