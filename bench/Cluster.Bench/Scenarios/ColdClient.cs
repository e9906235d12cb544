using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Cluster.Bench.Infrastructure;
using Cluster.Client;
using static Cluster.Bench.Scenarios.Common;

namespace Cluster.Bench.Scenarios;

/// <summary>
/// The `cold` scenario's client: a user's program in a process of its own (hidden sub-command
/// <c>cold-client</c>). It makes an executor, submits a warm-up, then N tasks from one client, then
/// sequential round trips with the blocking <c>Result()</c> and with <c>await</c> in turn, and prints one line
/// <c>COLD-CLIENT {json}</c> with its figures, its RSS and its CPU time.
/// </summary>
internal static class ColdClient
{
    public const string Command = "cold-client";

    /// <summary>The prefix of the line that carries the figures.</summary>
    public const string Marker = "COLD-CLIENT ";

    /// <summary>What one client run measured; milliseconds unless named otherwise.</summary>
    internal sealed record Figures(
        int Warmup,
        int Tasks,
        int RoundTrips,
        double FirstResultAfterStartMs,
        double WarmupSeconds,
        double TasksPerSecond,
        double ThroughputSeconds,
        int Wrong,
        string? FirstWrong,
        double ResultP50,
        double ResultP99,
        double AwaitP50,
        double AwaitP99,
        long RssBytes,
        double CpuSeconds,
        long JitMethods,
        double JitMs,
        double BurstCpuSeconds,
        double BurstJitMs);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The arguments the parent passes: <c>cold-client --address URL --warmup N --tasks N --round-trips N --timeout S</c>.</summary>
    public static string[] Arguments(Uri address, int warmup, int tasks, int roundTrips, TimeSpan timeout) =>
    [
        Command, "--address", address.ToString(), "--warmup", Text(warmup), "--tasks", Text(tasks),
        "--round-trips", Text(roundTrips), "--timeout", Text((int)timeout.TotalSeconds),
    ];

    public static async Task<int> MainAsync(string[] args)
    {
        Dictionary<string, string> values;
        try
        {
            values = Parse(args);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"{Command}: {e.Message}");
            return 2;
        }
        var address = values["address"];
        var warmup = Number(values, "warmup", 200);
        var tasks = Number(values, "tasks", 20_000);
        var roundTrips = Number(values, "round-trips", 2_000);
        var timeout = TimeSpan.FromSeconds(Number(values, "timeout", 120));

        var started = Process.GetCurrentProcess().StartTime.ToUniversalTime();
        var executor = new ClusterExecutor(address);
        try
        {
            // Warm-up: what a user's first submits meet (connection, JIT, pools).
            var warmStart = Stopwatch.GetTimestamp();
            var firstResultMs = double.NaN;
            if (warmup > 0)
            {
                var futures = new ClusterFuture<long>[warmup];
                for (var i = 0; i < warmup; i++)
                {
                    futures[i] = executor.Submit<long>("add", i, 1);
                }
                await futures[0].AsTask().WaitAsync(timeout);
                firstResultMs = (DateTime.UtcNow - started).TotalMilliseconds;
                await WaitAllAsync(futures, timeout, "warm-up tasks", progress: false);
                if (CountWrong(futures, i => i + 1L, out var firstWarm) is > 0 and var wrongWarm)
                {
                    throw new BenchException($"{wrongWarm} of {warmup} warm-up results were wrong; first: {firstWarm}");
                }
            }
            var warmupSeconds = Seconds(warmStart, Stopwatch.GetTimestamp());

            var all = new ClusterFuture<long>[tasks];
            var cpuBefore = ProcFs.CpuSeconds(Environment.ProcessId) ?? double.NaN;
            var jitBefore = System.Runtime.JitInfo.GetCompilationTime();
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < tasks; i++)
            {
                all[i] = executor.Submit<long>("add", i, 1);
            }
            if (warmup == 0)
            {
                // No warm-up: the first result is the first of these.
                await all[0].AsTask().WaitAsync(timeout);
                firstResultMs = (DateTime.UtcNow - started).TotalMilliseconds;
            }
            await WaitAllAsync(all, timeout, "tasks", progress: false);
            var throughputSeconds = Seconds(start, Stopwatch.GetTimestamp());
            var burstCpu = (ProcFs.CpuSeconds(Environment.ProcessId) ?? double.NaN) - cpuBefore;
            var burstJit = (System.Runtime.JitInfo.GetCompilationTime() - jitBefore).TotalMilliseconds;
            var wrong = CountWrong(all, i => i + 1L, out var firstWrong);

            var (blocking, awaited) = await AlternatingRoundTripsAsync(executor, roundTrips, timeout);

            var figures = new Figures(
                warmup, tasks, roundTrips, firstResultMs, warmupSeconds, tasks / throughputSeconds, throughputSeconds, wrong, firstWrong,
                Percentile(blocking, 50), Percentile(blocking, 99), Percentile(awaited, 50), Percentile(awaited, 99),
                ProcFs.RssBytes(Environment.ProcessId) ?? 0, ProcFs.CpuSeconds(Environment.ProcessId) ?? double.NaN,
                System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds,
                burstCpu, burstJit);
            Console.WriteLine(Marker + JsonSerializer.Serialize(figures, Json));
            return 0;
        }
        catch (Exception e) when (e is BenchException or TimeoutException)
        {
            Console.Error.WriteLine($"{Command}: {e.Message}");
            return 1;
        }
        finally
        {
            await CloseAsync(executor);
        }
    }

    /// <summary>
    /// Sequential round trips, one with the blocking <c>Result()</c> (as a synchronous user program
    /// calls it) and one with <c>await</c> in turn, <paramref name="count"/> of each; their sorted
    /// times in ms. Taken in turn, both meet the same conditions: run one after the other, the first
    /// series paid for what the burst before it left (tier-1 compilations, collections) alone.
    /// </summary>
    private static async Task<(double[] Blocking, double[] Awaited)> AlternatingRoundTripsAsync(ClusterExecutor executor, int count, TimeSpan timeout)
    {
        var blocking = new double[count];
        var awaited = new double[count];
        for (var i = 0; i < count; i++)
        {
            blocking[i] = Latency.BlockingRoundTrip(executor, i, timeout);
            awaited[i] = await Latency.RoundTripAsync(executor, i, timeout);
        }
        Array.Sort(blocking);
        Array.Sort(awaited);
        return (blocking, awaited);
    }

    private static Dictionary<string, string> Parse(string[] args)
    {
        string[] known = ["address", "warmup", "tasks", "round-trips", "timeout"];
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i += 2)
        {
            var name = args[i].StartsWith("--", StringComparison.Ordinal) ? args[i][2..] : null;
            if (name is null || !known.Contains(name))
            {
                throw new UsageException($"Unknown argument '{args[i]}'; expected --{string.Join(", --", known)}.");
            }
            if (i + 1 >= args.Length)
            {
                throw new UsageException($"--{name} needs a value.");
            }
            values[name] = args[i + 1];
        }
        if (!values.TryGetValue("address", out var address) || !Uri.TryCreate(address, UriKind.Absolute, out _))
        {
            throw new UsageException("--address must be the coordinator's URL (http://HOST:PORT).");
        }
        foreach (var name in known.Skip(1).Where(values.ContainsKey))
        {
            if (!int.TryParse(values[name], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < (name == "warmup" ? 0 : 1))
            {
                throw new UsageException($"--{name} must be a whole number{(name == "warmup" ? "" : " above 0")}, not '{values[name]}'.");
            }
        }
        return values;
    }

    private static int Number(Dictionary<string, string> values, string name, int fallback) =>
        values.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
