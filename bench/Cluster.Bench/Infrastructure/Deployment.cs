using System.Globalization;
using System.Text.RegularExpressions;
using Cluster.Protocol.V1;
using Grpc.Net.Client;

namespace Cluster.Bench.Infrastructure;

/// <summary>
/// What a scenario runs against: the cluster command as real processes from this output folder
/// (`cluster up`, or `cluster coordinator` and later `cluster worker`), on the embedded store or
/// on a redis-server of its own.
/// </summary>
internal sealed class Deployment : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly List<ChildProcess> _workerDaemons = [];
    private GrpcChannel? _channel;

    private Deployment(RedisServer? redis, ChildProcess coordinator)
    {
        Redis = redis;
        Coordinator = coordinator;
    }

    public RedisServer? Redis { get; }

    /// <summary>The `cluster up` or `cluster coordinator` process (with the embedded store inside, unless on Redis).</summary>
    public ChildProcess Coordinator { get; }

    public Uri Address { get; private set; } = null!;

    /// <summary>The coordinator's HTTP port: its dashboard, /metrics and /healthz.</summary>
    public Uri DashboardAddress { get; private set; } = null!;

    public string StoreName => Redis is null ? "embedded" : "redis";

    /// <summary>
    /// The coordinator process's time paused for collections so far, from its <c>/metrics</c>
    /// (the runtime's <c>dotnet.gc.pause.time</c>); null when the series is missing.
    /// </summary>
    public async Task<TimeSpan?> CoordinatorGcPauseAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var scrape = await http.GetStringAsync(new Uri(DashboardAddress, "metrics"));
        var match = Regex.Match(scrape, @"^dotnet_gc_pause_time_seconds_total\{[^}]*\} (\S+)", RegexOptions.Multiline);
        return match.Success ? TimeSpan.FromSeconds(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)) : null;
    }

    /// <summary>The last output lines of every process of the deployment disposed last: for the report of a failed scenario.</summary>
    public static string? LastOutput { get; private set; }

    public static void ClearLastOutput() => LastOutput = null;

    /// <summary>
    /// The cluster program the scenarios start: $CLUSTER_BENCH_CLUSTER when set (another build of it,
    /// such as a ReadyToRun publish, to compare), else the one built beside the bench.
    /// </summary>
    public static string ClusterDll => Environment.GetEnvironmentVariable("CLUSTER_BENCH_CLUSTER") is { Length: > 0 } given ? given : Path.Combine(AppContext.BaseDirectory, "cluster.dll");

    /// <summary>
    /// Environment variables for the cluster processes alone, not the client: $CLUSTER_BENCH_CLUSTER_ENV as
    /// "NAME=VALUE;NAME=VALUE" (a runtime setting such as DOTNET_TieredCompilation=0, to compare).
    /// </summary>
    /// <exception cref="UsageException">An entry has no name or no '='.</exception>
    public static Dictionary<string, string> ClusterEnvironment()
    {
        var environment = new Dictionary<string, string>();
        foreach (var entry in (Environment.GetEnvironmentVariable("CLUSTER_BENCH_CLUSTER_ENV") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new UsageException($"CLUSTER_BENCH_CLUSTER_ENV must be NAME=VALUE entries separated by ';', not '{entry}'.");
            }
            environment[entry[..equals]] = entry[(equals + 1)..];
        }
        return environment;
    }

    /// <summary>`cluster up`: coordinator and worker daemon in one process, the worker processes its children; waits until all have said hello.</summary>
    public static Task<Deployment> UpAsync(StoreKind store, int processes, int? threads = null, int? coroutines = null)
    {
        var arguments = new List<string> { "up", "--port", "0", "--processes", Text(processes) };
        if (threads is { } t)
        {
            arguments.AddRange(["--threads", Text(t)]);
        }
        if (coroutines is { } c)
        {
            arguments.AddRange(["--coroutines", Text(c)]);
        }
        return StartAsync(store, arguments, processes);
    }

    /// <summary>`cluster coordinator`: no worker at all until <see cref="StartWorkersAsync"/>.</summary>
    public static Task<Deployment> CoordinatorAsync(StoreKind store) =>
        StartAsync(store, ["coordinator", "--port", "0"], workers: 0);

    /// <summary>`cluster coordinator` on a store started elsewhere (a Redis Cluster, a replicated redis-server), with <paramref name="more"/> options.</summary>
    public static Task<Deployment> CoordinatorAsync(string redis, params string[] more) =>
        StartAsync(null, ["coordinator", "--port", "0", "--redis", redis, .. more], workers: 0);

    private static async Task<Deployment> StartAsync(StoreKind store, List<string> arguments, int workers)
    {
        RedisServer? redis = null;
        if (store == StoreKind.Redis)
        {
            redis = await RedisServer.StartAsync();
            arguments.AddRange(["--redis", redis.Address]);
        }
        return await StartAsync(redis, arguments, workers);
    }

    private static async Task<Deployment> StartAsync(RedisServer? redis, List<string> arguments, int workers)
    {
        var coordinator = StartCluster(arguments);
        var deployment = new Deployment(redis, coordinator);
        try
        {
            var listening = await coordinator.WaitForOutputAsync(@"Coordinator listening on (\S+)", StartTimeout);
            deployment.Address = new Uri(listening.Groups[1].Value);
            deployment.DashboardAddress = new Uri((await coordinator.WaitForOutputAsync(@"Dashboard at (\S+)", StartTimeout)).Groups[1].Value);
            deployment._channel = GrpcChannel.ForAddress(deployment.Address);
            if (workers > 0)
            {
                await deployment.WaitForWorkersAsync(workers);
            }
            return deployment;
        }
        catch
        {
            await deployment.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts `cluster worker --coordinator URL --processes N` (a separate daemon process) and returns at once.</summary>
    public ChildProcess StartWorkers(int processes)
    {
        var daemon = StartCluster(["worker", "--coordinator", Address.ToString(), "--processes", Text(processes)]);
        _workerDaemons.Add(daemon);
        return daemon;
    }

    public async Task<StatusReply> StatusAsync() => await new Admin.AdminClient(_channel!).StatusAsync(new StatusRequest());

    /// <summary>Waits until <paramref name="count"/> worker processes are connected; returns their PIDs.</summary>
    public async Task<IReadOnlyList<int>> WaitForWorkersAsync(int count)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            var status = await StatusAsync();
            if (status.Workers.Count >= count)
            {
                return [.. status.Workers.Select(w => w.ProcessId).Order()];
            }
            if (DateTime.UtcNow > deadline || Coordinator.HasExited)
            {
                throw new BenchException($"{status.Workers.Count} of {count} worker processes connected within {StartTimeout.TotalSeconds:0} s. Output:{Environment.NewLine}{Coordinator.Output}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Tasks of <paramref name="name"/> waiting in the store's queue.</summary>
    public async Task<long> QueuedAsync(string name) =>
        (await StatusAsync()).Queues.FirstOrDefault(q => q.Name == name)?.Queued ?? 0;

    /// <summary>The worker processes: children of the `up` process, or of the `worker` daemon(s) started here.</summary>
    public IReadOnlyList<int> WorkerProcessIds() =>
        _workerDaemons.Count > 0
            ? [.. _workerDaemons.SelectMany(d => ProcFs.Children(d.Id))]
            : ProcFs.Children(Coordinator.Id);

    private static ChildProcess StartCluster(IEnumerable<string> arguments)
    {
        if (!File.Exists(ClusterDll))
        {
            throw new BenchException($"{ClusterDll} is missing: build bench/Cluster.Bench (it references src/Cli).");
        }
        return ChildProcess.Start(DotnetHost(), [ClusterDll, .. ChildProcess.FreeHttpPort([.. arguments]), "--exit-with-parent"], ClusterEnvironment());
    }

    private static string DotnetHost()
    {
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        LastOutput = string.Join(Environment.NewLine, new[] { Coordinator }.Concat(_workerDaemons)
            .Select(p => $"`{p.Description}` (pid {p.Id}{(p.ExitCode is { } code ? $", exited with {code}" : "")}), last lines:{Environment.NewLine}{p.Tail(30)}"));
        _channel?.Dispose();
        foreach (var daemon in _workerDaemons)
        {
            await daemon.DisposeAsync();
        }
        await Coordinator.DisposeAsync();
        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }
    }
}

internal enum StoreKind
{
    Embedded,
    Redis,
}
