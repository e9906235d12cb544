using System.CommandLine;
using System.Globalization;
using Cluster.Bench.Infrastructure;

namespace Cluster.Bench;

/// <summary>The command line: <c>&lt;scenario&gt;[,&lt;scenario&gt;...]|all [--store embedded|redis|both] [--tasks N] ...</c></summary>
internal sealed class BenchOptions
{
    public const string Usage = """
        usage: dotnet run -c Release --project bench/Cluster.Bench -- <scenario>[,<scenario>...]|all [options]

        scenarios:
          throughput   N no-op `add` tasks from one client: tasks/s, CPU per task of each process   (default N 100,000)
          latency      sequential single-task round trips after a warm-up: p50/p90/p99/p99.9       (default N 5,000)
          hops         latency's round trips with hop timestamps in every process: time per hop    (default N 2,000)
          delayed      N tasks delayed to due times spread over 4 s: lateness (start minus due)     (default N 2,000)
          coroutines   N concurrent sleep(0.1) on one worker process: wall time, peak threads      (default N 10,000)
          threads      N CPU-bound spin(ms) tasks on 1 worker process vs P (--threads 1 each)      (default N 200)
          backlog      N tasks queued with no worker: store bytes per task, coordinator RSS,
                       then time to drain with `cluster worker --processes P`                      (default N 1,000,000)
          clients      8 clients in this process submitting N/8 each at once: rates, fairness      (default N 100,000)
          fairness     one client's round trips alone and beside another's backlog: p50, p99 (default N 20,000 backlog)
          scaling      per task: store commands, store / coordinator / worker CPU, coordinator bytes,
                       on one redis-server and a 3-master Redis Cluster, worker processes 1, 2, 4;
                       and --replica-acks 0 vs 1 on a redis-server with a replica (redis only)  (default N 20,000)
          dashboard    the coordinator's CPU on N queued tasks with its dashboard closed, open in a
                       headless Chromium, and open in 20 more pages                                (default N 100,000)
          queue        N items through a ClusterQueue of max size 100, a producer task in a worker
                       process and a consumer in this one: items/s                                  (default N 100,000)
          cold         a user's first run: fresh `cluster up` and a fresh client process; N tasks' rate,
                       round trips with Result() and await, then 5 × N on the warm cluster; RSS of every
                       process at rest and after; the BullMQ peer in the same pass                  (default N 20,000)
          scripts      the store alone: this process runs the coordinator's store code, one call in flight,
                       submit, lease, complete and ack of N tasks in rounds of 100, then N/100 lone
                       round trips: µs per call, CPU per task of the store                          (default N 200,000)
          all          every scenario above, in that order
          screenshot   a busy `cluster up`'s dashboard in a headless Chromium, saved as docs/dashboard.png
                       (or --png PATH); not part of all

        options:
          --store embedded|redis|both   the store (default embedded); redis starts its own redis-server (on PATH)
          --tasks N                     the scenario's task count (see defaults above)
          --processes N                 worker processes (default: the cluster's default, one per core;
                                        coroutines always uses 1; threads compares 1 with N, default 2)
          --warmup N                    warm-up tasks before measuring (default: throughput 20,000,
                                        latency 3,000, clients 16,000 in all, coroutines 2 × N,
                                        scripts 50,000, others 1,000)
          --spin-ms MS                  threads: milliseconds each spin task busy-waits (default 20)
          --fib N                       threads: run fib(N) tasks (fixed CPU work) instead of spin (wall-clock busy-wait)
          --sleep S                     coroutines: seconds each task sleeps (default 0.1)
          --clients N                   clients: executors submitting at once (default 8)
          --round-trips N               cold: sequential round trips with Result() and with await each (default 2,000)
          --peers PATH                  cold: the peers harness's run.sh or its folder (default: $CLUSTER_PEERS, else
                                        shared/peers/run.sh in a parent folder of the repository; absent: BullMQ skipped)
          --timeout S                   fail a scenario when no result has arrived for S seconds (default 120)
          --passes N                    run the scenarios N times in a row (default 1), then print each metric's
                                        lowest, median and highest value over the passes, and in how many
                                        passes its target was met
          --json                        also print all results as one JSON document (after the tables, in a ```json block)
          --json-file PATH              write that JSON document to PATH
          --png PATH                    screenshot: where to save the picture (default docs/dashboard.png of this repository)
        """;

    public required IReadOnlyList<string> Scenarios { get; init; }

    public required IReadOnlyList<StoreKind> Stores { get; init; }

    public int? Tasks { get; init; }

    public int? Processes { get; init; }

    public int? Warmup { get; init; }

    public int SpinMs { get; init; } = 20;

    public int? Fib { get; init; }

    public double SleepSeconds { get; init; } = 0.1;

    public int Clients { get; init; } = 8;

    /// <summary>cold: sequential round trips with Result() and with await, each.</summary>
    public int? RoundTrips { get; init; }

    /// <summary>cold: the peers harness's run.sh (or its folder); null: $CLUSTER_PEERS or shared/peers beside the repository.</summary>
    public string? Peers { get; init; }

    /// <summary>How long a scenario may go without any progress (a result, a queued task) before it fails.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>How many times the scenarios run in a row; above 1, a summary over the passes follows their tables.</summary>
    public int Passes { get; init; } = 1;

    public bool Json { get; init; }

    public string? JsonFile { get; init; }

    /// <summary>Where the screenshot scenario saves its picture; null: docs/dashboard.png of the repository.</summary>
    public string? Png { get; init; }

    public static readonly string[] AllScenarios = ["throughput", "latency", "hops", "delayed", "coroutines", "threads", "backlog", "clients", "fairness", "scaling", "dashboard", "queue", "cold", "scripts"];

    /// <summary>Scenarios that make documentation rather than measure: run only when named.</summary>
    public static readonly string[] DocScenarios = ["screenshot"];

    /// <summary>The options that take a value; --json takes none.</summary>
    private static readonly string[] ValueOptions = ["store", "tasks", "processes", "warmup", "spin-ms", "fib", "sleep", "clients", "round-trips", "peers", "timeout", "passes", "json-file", "png"];

    /// <summary>The command line as System.CommandLine reads it: the scenarios, then options.</summary>
    private static RootCommand Command()
    {
        var root = new RootCommand("Cluster end-to-end benchmarks") { new Argument<string>("scenarios"), new Option<bool>("--json") };
        foreach (var name in ValueOptions)
        {
            root.Options.Add(new Option<string>("--" + name));
        }
        return root;
    }

    /// <summary>Null for `--help` (the usage is the answer).</summary>
    public static BenchOptions? Parse(string[] args)
    {
        if (args is ["--help" or "-h" or "-?", ..])
        {
            return null;
        }
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            throw new UsageException("Name a scenario first.");
        }
        var command = Command();
        var parse = command.Parse(args);
        if (parse.Errors.Count > 0)
        {
            throw new UsageException(parse.Errors[0].Message);
        }
        var scenarios = args[0] == "all" ? AllScenarios : args[0].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToArray();
        foreach (var s in scenarios.Where(s => !AllScenarios.Contains(s) && !DocScenarios.Contains(s)))
        {
            throw new UsageException($"Unknown scenario '{s}'.");
        }
        var values = command.Options.OfType<Option<string>>()
            .Where(o => parse.GetResult(o) is not null && parse.GetValue(o) is not null)
            .ToDictionary(o => o.Name[2..], o => parse.GetValue(o)!, StringComparer.Ordinal);
        var stores = (values.GetValueOrDefault("store") ?? "embedded") switch
        {
            "embedded" => new[] { StoreKind.Embedded },
            "redis" => [StoreKind.Redis],
            "both" => [StoreKind.Embedded, StoreKind.Redis],
            var other => throw new UsageException($"--store must be embedded, redis or both, not '{other}'."),
        };
        return new BenchOptions
        {
            Scenarios = scenarios,
            Stores = stores,
            Tasks = Int(values, "tasks", 1, 100_000_000),
            Processes = Int(values, "processes", 1, 256),
            Warmup = Int(values, "warmup", 0, 10_000_000),
            SpinMs = Int(values, "spin-ms", 1, 60_000) ?? 20,
            Fib = Int(values, "fib", 1, 92),
            SleepSeconds = Double(values, "sleep") ?? 0.1,
            Clients = Int(values, "clients", 1, 1024) ?? 8,
            RoundTrips = Int(values, "round-trips", 1, 10_000_000),
            Peers = values.GetValueOrDefault("peers"),
            Timeout = TimeSpan.FromSeconds(Int(values, "timeout", 1, 86_400) ?? 120),
            Passes = Int(values, "passes", 1, 1_000) ?? 1,
            Json = parse.GetValue<bool>("--json"),
            JsonFile = values.GetValueOrDefault("json-file"),
            Png = values.GetValueOrDefault("png"),
        };
    }

    private static int? Int(Dictionary<string, string> values, string name, int min, int max)
    {
        if (!values.TryGetValue(name, out var text))
        {
            return null;
        }
        var clean = text.Replace("_", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal);
        if (!int.TryParse(clean, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new UsageException($"--{name} must be a whole number from {min} to {max}, not '{text}'.");
        }
        return value;
    }

    private static double? Double(Dictionary<string, string> values, string name)
    {
        if (!values.TryGetValue(name, out var text))
        {
            return null;
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value is < 0 or > 3600)
        {
            throw new UsageException($"--{name} must be a number of seconds from 0 to 3600, not '{text}'.");
        }
        return value;
    }
}

internal sealed class UsageException(string message) : Exception(message);
