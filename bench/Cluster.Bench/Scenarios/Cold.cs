using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cluster.Bench.Infrastructure;
using static Cluster.Bench.Scenarios.Common;

namespace Cluster.Bench.Scenarios;

/// <summary>
/// What a user meets: a fresh `cluster up`, a fresh client process running the user's workload
/// (<see cref="ColdClient"/>), then the same program again on the now-warm cluster with more tasks;
/// RSS of every process at rest and after; and the BullMQ peer measured right after, in the same pass.
/// </summary>
internal static partial class Cold
{
    public const string Title = "A user's first run: a fresh `cluster up`, then a fresh client process (this benchmark re-run as " +
        "`cold-client`) that makes a `ClusterExecutor`, submits 200 warm-up `add` tasks, then N `add` tasks from one client with every " +
        "result checked (rate from the first submit to the last result), then sequential round trips, one with the blocking `Result()` " +
        "and one with `await` in turn. Then the same program in another new process against the now-warm cluster with 5 × N tasks. RSS of each process " +
        "at rest (once every worker has said hello) and after both runs. Then the BullMQ peer (`RUNS=1 N=… L=… run.sh bullmq` of the " +
        "peers harness) with the same counts; its RSS figures are peaks sampled at 5 Hz over its run. A client's JIT time is the runtime's " +
        "`JitInfo.GetCompilationTime()`: wall time inside the compiler, on all threads, so it grows when the cores are busy.";

    /// <summary>How long one client process or the peer's run may take in all.</summary>
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(30);

    public static async Task RunAsync(BenchOptions options, StoreKind store, ScenarioResult result)
    {
        var n = options.Tasks ?? 20_000;
        var warmN = 5 * n;
        var roundTrips = options.RoundTrips ?? 2_000;
        var warmup = options.Warmup ?? 200;
        var processes = options.Processes ?? Environment.ProcessorCount;
        result.Parameters["tasks (cold client)"] = n;
        result.Parameters["tasks (warm client)"] = warmN;
        result.Parameters["round trips (each of Result() and await)"] = roundTrips;
        result.Parameters["warm-up tasks per client"] = warmup;
        result.Parameters["worker processes"] = processes;
        result.Parameters["up process"] = store == StoreKind.Redis ? "coordinator" : "coordinator + embedded store";
        result.Parameters["client processes' JIT"] = "the .NET defaults (quick JIT on, as in a user's program)";

        Log($"cold/{Name(store)}: starting a fresh cluster up --processes {processes}");
        ColdClient.Figures cold, warm;
        await using (var deployment = await Deployment.UpAsync(store, processes))
        {
            var workers = deployment.WorkerProcessIds();
            // Ready: every worker process has said hello; let the start-up's last allocations settle.
            await Task.Delay(TimeSpan.FromSeconds(1));
            var atRest = AddRss(result, "RSS at rest", deployment, workers);

            var roles = new List<(string, int)> { ("up", deployment.Coordinator.Id) };
            roles.AddRange(workers.Select(pid => ("workers", pid)));
            if (deployment.Redis is not null)
            {
                roles.Add((CpuMeter.RedisRole, deployment.Redis.ProcessId));
            }

            Log($"cold/{Name(store)}: cold client ({warmup:N0} warm-up, {n:N0} tasks, 2 × {roundTrips:N0} round trips)");
            var meter = new CpuMeter(roles);
            cold = await RunClientAsync(deployment.Address, warmup, n, roundTrips, options.Timeout);
            var coldCpu = meter.Stop(result).Values.Sum();
            Log($"cold/{Name(store)}: warm client ({warmup:N0} warm-up, {warmN:N0} tasks, 2 × {roundTrips:N0} round trips)");
            meter = new CpuMeter(roles);
            warm = await RunClientAsync(deployment.Address, warmup, warmN, roundTrips, options.Timeout);
            var warmCpu = meter.Stop(result).Values.Sum();

            AddClient(result, "cold client", cold, coldCpu, warmP50: false);
            AddClient(result, "warm client", warm, warmCpu, warmP50: true);
            var after = AddRss(result, $"RSS after {(warmup + n + warmup + warmN + 4L * roundTrips):N0} tasks", deployment, workers);
            result.Add("RSS growth, all cluster processes", Mib(after - atRest), "MiB", "0");
        }

        if (BullMq.Find(options.Peers) is not { } runSh)
        {
            result.Notes.Add($"BullMQ not measured: no peers harness ({BullMq.Describe(options.Peers)}); pass --peers PATH or set {BullMq.EnvironmentVariable}.");
            return;
        }
        Log($"cold/{Name(store)}: BullMQ by {runSh} (N={n}, L={roundTrips})");
        var bull = await BullMq.RunAsync(runSh, n, roundTrips);
        result.Add("BullMQ: throughput", bull.TasksPerSecond, "tasks/s", "N0");
        result.Add("BullMQ: round trip p50", bull.P50, "ms", "0.000");
        result.Add("BullMQ: round trip p99", bull.P99, "ms", "0.000");
        result.Add("BullMQ: worker RSS (peak)", bull.WorkerRssKb / 1024.0, "MiB", "0");
        result.Add("BullMQ: redis-server RSS (peak)", bull.BrokerRssKb / 1024.0, "MiB", "0");
        result.Add("BullMQ: worker + redis-server RSS (peak)", (bull.WorkerRssKb + bull.BrokerRssKb) / 1024.0, "MiB", "0");
        if (!bull.Ok)
        {
            result.Notes.Add("BullMQ's client reported wrong results (ok: false).");
        }
        result.Add("cold throughput / BullMQ throughput", cold.TasksPerSecond / bull.TasksPerSecond, "×", "0.00", "≥ 5×", v => v >= 5);
        result.Add("warm p50 Result() / BullMQ p50", warm.ResultP50 / bull.P50, "×", "0.00", "< 1 (below BullMQ's)", v => v < 1);
        result.Add("warm p50 await / BullMQ p50", warm.AwaitP50 / bull.P50, "×", "0.00", "< 1 (below BullMQ's)", v => v < 1);
        result.Notes.Add($"BullMQ: {bull.Version}; {bull.Path}; {bull.Concurrency}.");
    }

    /// <summary>Runs the client program in a new process and reads its figures; fails on wrong results.</summary>
    private static async Task<ColdClient.Figures> RunClientAsync(Uri address, int warmup, int tasks, int roundTrips, TimeSpan timeout)
    {
        var self = typeof(Cold).Assembly.Location;
        // The runtime's defaults, as a user's program has them (this benchmark's own runtimeconfig turns quick JIT off).
        var environment = new Dictionary<string, string> { ["DOTNET_TC_QuickJit"] = "1" };
        await using var client = ChildProcess.Start(ChildProcess.DotnetHost, [self, .. ColdClient.Arguments(address, warmup, tasks, roundTrips, timeout)], environment);
        int code;
        try
        {
            code = await client.WaitForExitAsync(RunLimit);
        }
        catch (TimeoutException)
        {
            throw new BenchException($"The client process did not finish within {RunLimit.TotalMinutes:0} min. Last lines:{Environment.NewLine}{client.Tail(20)}");
        }
        var line = client.Output.Split('\n').Select(l => l.TrimEnd('\r')).LastOrDefault(l => l.StartsWith(ColdClient.Marker, StringComparison.Ordinal));
        if (code != 0 || line is null)
        {
            throw new BenchException($"The client process exited with {code}{(line is null ? " without its figures" : "")}. Last lines:{Environment.NewLine}{client.Tail(20)}");
        }
        var figures = JsonSerializer.Deserialize<ColdClient.Figures>(line[ColdClient.Marker.Length..], ColdClient.Json)
            ?? throw new BenchException("The client process printed empty figures.");
        if (figures.Wrong > 0)
        {
            throw new BenchException($"{figures.Wrong} of {figures.Tasks} results were wrong; first: {figures.FirstWrong}");
        }
        return figures;
    }

    /// <summary>A client run's figures; <paramref name="clusterCpu"/>: CPU seconds of the cluster processes over the whole client process.</summary>
    private static void AddClient(ScenarioResult result, string which, ColdClient.Figures f, double clusterCpu, bool warmP50)
    {
        var tasks = f.Warmup + f.Tasks + 2 * f.RoundTrips;
        var (limit, target) = warmP50 ? (0.5, "≤ 0.5 ms") : (1.0, "≤ 1 ms");
        result.Add($"{which}: first result after the process started", f.FirstResultAfterStartMs, "ms", "0");
        result.Add($"{which}: throughput ({f.Tasks:N0} tasks)", f.TasksPerSecond, "tasks/s", "N0");
        result.Add($"{which}: client process CPU during those tasks", f.BurstCpuSeconds / f.ThroughputSeconds * 100, "% of a core", "0");
        result.Add($"{which}: client process JIT during those tasks", f.BurstJitMs, "ms", "0");
        result.Add($"{which}: Result() round trip p50", f.ResultP50, "ms", "0.000", target, v => v <= limit);
        result.Add($"{which}: Result() round trip p99", f.ResultP99, "ms", "0.000");
        result.Add($"{which}: await round trip p50", f.AwaitP50, "ms", "0.000", target, v => v <= limit);
        result.Add($"{which}: await round trip p99", f.AwaitP99, "ms", "0.000");
        result.Add($"{which}: client process RSS at the end", Mib(f.RssBytes), "MiB", "0");
        result.Add($"{which}: client process CPU time", f.CpuSeconds, "s", "0.00");
        result.Add($"{which}: client process JIT: methods compiled", f.JitMethods, "", "N0");
        result.Add($"{which}: client process JIT: time compiling", f.JitMs, "ms", "0");
        result.Add($"{which}: CPU per task, cluster processes (over all {tasks:N0} tasks of the client process)", clusterCpu / tasks * 1e6, "µs", "0.0");
        result.Add($"{which}: CPU per task, client + cluster processes", (clusterCpu + f.CpuSeconds) / tasks * 1e6, "µs", "0.0");
    }

    /// <summary>
    /// RSS of the up process, each worker process and redis-server (when there is one), then the PSS
    /// of all of them together; returns the RSS sum in bytes.
    /// </summary>
    private static long AddRss(ScenarioResult result, string label, Deployment deployment, IReadOnlyList<int> workers)
    {
        var up = ProcFs.RssBytes(deployment.Coordinator.Id) ?? 0;
        var total = up;
        var pss = ProcFs.PssBytes(deployment.Coordinator.Id) ?? 0;
        result.Add($"{label}: up process", Mib(up), "MiB", "0");
        for (var i = 0; i < workers.Count; i++)
        {
            var rss = ProcFs.RssBytes(workers[i]);
            total += rss ?? 0;
            pss += ProcFs.PssBytes(workers[i]) ?? 0;
            result.Add($"{label}: worker process {i + 1}", rss is { } r ? Mib(r) : null, "MiB", "0");
        }
        // The same rows on both stores (n/a: no redis-server on the embedded store), so the stores line up.
        var redisRss = deployment.Redis is { } redis ? ProcFs.RssBytes(redis.ProcessId) : null;
        total += redisRss ?? 0;
        pss += deployment.Redis is { } server ? ProcFs.PssBytes(server.ProcessId) ?? 0 : 0;
        result.Add($"{label}: redis-server", redisRss is { } bytes ? Mib(bytes) : null, "MiB", "0");
        result.Add($"{label}: all cluster processes", Mib(total), "MiB", "0");
        // RSS counts the pages the processes share (the runtime, the framework's and the cluster's
        // files, mapped by each) once per process; PSS shares them out.
        result.Add($"{label}: all cluster processes, PSS (shared pages counted once)", Mib(pss), "MiB", "0");
        return total;
    }

    /// <summary>The BullMQ peer of the peers harness (`run.sh bullmq`): where it is, and one run of it.</summary>
    internal static partial class BullMq
    {
        public const string EnvironmentVariable = "CLUSTER_PEERS";

        internal sealed record Run(double TasksPerSecond, double P50, double P99, double WorkerRssKb, double BrokerRssKb, bool Ok, string Version, string Path, string Concurrency);

        /// <summary>
        /// The harness's run.sh: <paramref name="option"/> (--peers), else $CLUSTER_PEERS, else
        /// shared/peers/run.sh beside the repository or one of its parent folders. Null when absent.
        /// </summary>
        public static string? Find(string? option)
        {
            var given = option ?? Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrEmpty(given))
            {
                var file = Directory.Exists(given) ? System.IO.Path.Combine(given, "run.sh") : given;
                return File.Exists(file) ? System.IO.Path.GetFullPath(file) : null;
            }
            for (var dir = RepositoryRoot()?.Parent; dir is not null; dir = dir.Parent)
            {
                var file = System.IO.Path.Combine(dir.FullName, "shared", "peers", "run.sh");
                if (File.Exists(file))
                {
                    return file;
                }
            }
            return null;
        }

        /// <summary>Where it was looked for, for the note when it is absent.</summary>
        public static string Describe(string? option) =>
            (option ?? Environment.GetEnvironmentVariable(EnvironmentVariable)) is { Length: > 0 } given
                ? $"{given} has no run.sh"
                : $"no shared/peers/run.sh in a parent folder of {RepositoryRoot()?.FullName ?? AppContext.BaseDirectory}";

        public static async Task<Run> RunAsync(string runSh, int tasks, int roundTrips)
        {
            var work = Environment.GetEnvironmentVariable("PEERS_WORK") is { Length: > 0 } w ? w : "/tmp/cluster-peers";
            var environment = new Dictionary<string, string>
            {
                ["RUNS"] = "1",
                ["N"] = tasks.ToString(CultureInfo.InvariantCulture),
                ["L"] = roundTrips.ToString(CultureInfo.InvariantCulture),
                ["PEERS_WORK"] = work,
            };
            await using var run = ChildProcess.Start("bash", [runSh, "bullmq"], environment);
            int code;
            try
            {
                code = await run.WaitForExitAsync(RunLimit);
            }
            catch (TimeoutException)
            {
                throw new BenchException($"`bash {runSh} bullmq` did not finish within {RunLimit.TotalMinutes:0} min. Last lines:{Environment.NewLine}{run.Tail(20)}");
            }
            var results = System.IO.Path.Combine(work, "results-bullmq.jsonl");
            var line = code == 0 && File.Exists(results) ? File.ReadLines(results).LastOrDefault(l => l.TrimStart().StartsWith('{')) : null;
            if (line is null)
            {
                throw new BenchException($"`bash {runSh} bullmq` exited with {code} and no result in {results}. Last lines:{Environment.NewLine}{run.Tail(20)}");
            }
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            var res = root.GetProperty("res");
            if (!res.TryGetProperty("tput", out var tput))
            {
                throw new BenchException($"BullMQ's run failed (its result: {res.GetRawText()}). Last lines:{Environment.NewLine}{run.Tail(20)}");
            }
            return new Run(
                tput.GetDouble(), res.GetProperty("p50").GetDouble(), res.GetProperty("p99").GetDouble(),
                root.GetProperty("worker_rss_kb").GetDouble(), root.GetProperty("broker_rss_kb").GetDouble(),
                res.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True,
                Text(root, "version"), Text(root, "path"), Text(root, "conc"));
        }

        private static string Text(JsonElement root, string name) =>
            root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? Spaces().Replace(value.GetString()!, " ") : "?";

        private static DirectoryInfo? RepositoryRoot()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Cluster.sln")))
            {
                dir = dir.Parent;
            }
            return dir;
        }

        [GeneratedRegex(@"\s+")]
        private static partial Regex Spaces();
    }
}
