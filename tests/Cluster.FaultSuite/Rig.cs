using System.Globalization;
using Cluster.Testing;
using Cluster.Protocol.V1;
using Grpc.Net.Client;

namespace Cluster.FaultSuite;

/// <summary>
/// The processes of one scenario: redis-server, coordinators, worker daemons; all stopped by PID at
/// the end. Worker daemons and this process trace their hops into <see cref="Trace"/>.
/// </summary>
internal sealed class Rig : IAsyncDisposable
{
    public const int LeaseMs = 3000;
    private readonly List<ChildProcess> _processes = [];
    private readonly HashSet<int> _seen = [];
    private int? _left;

    private Rig(RedisServer redis, RunTrace trace) => (Redis, Trace) = (redis, trace);

    public RedisServer Redis { get; private set; }

    public RunTrace Trace { get; }

    public static async Task<Rig> StartAsync() => new(await RedisServer.StartAsync("always"), RunTrace.Start());

    public async Task<(ChildProcess Process, string Url)> CoordinatorAsync(int? port = null)
    {
        var listen = port ?? RedisServer.FreeLoopbackPort();
        var process = Track(ChildProcess.StartCluster("coordinator", "--port", listen.ToString(CultureInfo.InvariantCulture), "--redis", Redis.Address,
            "--lease-ms", LeaseMs.ToString(CultureInfo.InvariantCulture), "--heartbeat-ms", "500"));
        await process.WaitForOutputAsync("Coordinator listening on", TimeSpan.FromSeconds(60));
        return (process, $"http://127.0.0.1:{listen}");
    }

    public ChildProcess WorkerDaemon(string url, int processes, int threads = 10) => WorkerDaemon([url], processes, threads);

    /// <summary>A worker daemon that knows several coordinators: a worker whose connection breaks dials the next.</summary>
    public ChildProcess WorkerDaemon(IReadOnlyList<string> urls, int processes, int threads = 10) =>
        Track(ChildProcess.StartCluster(Trace.Environment, [
            "worker", .. urls.SelectMany(u => new[] { "--coordinator", u }),
            "--processes", processes.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture)]));

    public async Task WaitForWorkersAsync(string url, int count)
    {
        using var channel = GrpcChannel.ForAddress(url);
        var admin = new Admin.AdminClient(channel);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await admin.StatusAsync(new StatusRequest())).Workers.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{count} workers did not connect to {url}.");
            }
            await Task.Delay(100);
        }
        NoteChildren();
    }

    /// <summary>The worker connections the store holds now: each connection's id and its process.</summary>
    public static async Task<IReadOnlyList<(string Id, int Pid)>> ConnectionsAsync(string url)
    {
        using var channel = GrpcChannel.ForAddress(url);
        var status = await new Admin.AdminClient(channel).StatusAsync(new StatusRequest());
        return [.. status.Workers.Select(w => (w.WorkerId, w.ProcessId))];
    }

    /// <summary>
    /// Waits until each of <paramref name="processes"/> holds a connection that was not among
    /// <paramref name="before"/>; returns that moment (<see cref="System.Diagnostics.Stopwatch"/> ticks), or null after 60 s.
    /// </summary>
    public static async Task<long?> WaitForReconnectAsync(string url, IReadOnlyList<int> processes, IReadOnlySet<string> before)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var fresh = (await ConnectionsAsync(url)).Where(c => !before.Contains(c.Id)).Select(c => c.Pid).ToHashSet();
                if (processes.All(fresh.Contains))
                {
                    return System.Diagnostics.Stopwatch.GetTimestamp();
                }
            }
            catch (Grpc.Core.RpcException)
            {
                // The coordinator asked is not up yet.
            }
            await Task.Delay(20);
        }
        return null;
    }

    /// <summary>Worker processes (children of the daemons) running now.</summary>
    public IReadOnlyList<int> WorkerProcesses(ChildProcess daemon) => ProcFs.Children(daemon.Id);

    /// <summary>Kills redis-server and starts it again on its data; true when the kill hit it.</summary>
    public async Task<bool> RestartRedisAsync()
    {
        Redis.KeepData = true;
        var (directory, port) = (Redis.Directory, Redis.Port);
        var killed = await Inject.KillAsync(Redis.ProcessId);
        await Redis.DisposeAsync();
        Redis = await RedisServer.StartAsync("always", directory, port);
        return killed;
    }

    /// <summary>Remembers every process of the rig seen so far, to check at the end that none is left.</summary>
    public void NoteChildren()
    {
        foreach (var p in _processes)
        {
            _seen.Add(p.Id);
            foreach (var child in ProcFs.Children(p.Id))
            {
                _seen.Add(child);
            }
        }
    }

    public ChildProcess Track(ChildProcess process)
    {
        _processes.Add(process);
        _seen.Add(process.Id);
        return process;
    }

    /// <summary>Stops everything; returns how many of the rig's processes are still alive afterwards. Read <see cref="Trace"/> after this.</summary>
    public async Task<int> StopAsync()
    {
        if (_left is { } done)
        {
            return done;
        }
        NoteChildren();
        foreach (var process in _processes.AsEnumerable().Reverse())
        {
            await process.DisposeAsync();
        }
        await Redis.DisposeAsync();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (_seen.Any(ProcFs.IsAlive) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        _left = _seen.Count(ProcFs.IsAlive);
        return _left.Value;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Trace.Dispose();
    }
}
