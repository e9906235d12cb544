using System.Diagnostics;
using Cluster.Bench.Infrastructure;
using Cluster.Client;
using static Cluster.Bench.Scenarios.Common;

namespace Cluster.Bench.Scenarios;

/// <summary>CPU-bound spin tasks on 1 worker process vs P, one thread each: the speed-up from processes.</summary>
internal static class Threads
{
    public const string Title = "N CPU-bound `spin(ms)` tasks on 1 worker process, then on P, each started with `--threads 1` " +
        "(one handler thread per process, so a process uses one core). Speed-up = time on 1 / time on P.";

    public static async Task RunAsync(BenchOptions options, StoreKind store, ScenarioResult result)
    {
        var n = options.Tasks ?? 200;
        var ms = options.SpinMs;
        var processes = options.Processes ?? 2;
        if (processes < 2)
        {
            throw new BenchException("threads compares 1 worker process with --processes P: P must be at least 2.");
        }
        result.Parameters["tasks"] = n;
        result.Parameters["spin"] = $"{ms} ms";
        result.Parameters["worker processes"] = $"1 vs {processes}";
        result.Parameters["--threads"] = 1;

        var one = await RunOnAsync(options, store, 1, n, ms, result);
        var many = await RunOnAsync(options, store, processes, n, ms, result);
        var ideal1 = n * ms / 1000.0;
        result.Add("time on 1 worker process", one, "s", "0.000");
        result.Add("ideal on 1 (N × ms)", ideal1, "s", "0.000");
        result.Add($"time on {processes} worker processes", many, "s", "0.000");
        result.Add($"ideal on {processes} (N × ms / {processes})", ideal1 / processes, "s", "0.000");
        var target = processes == 2 ? "≥ 1.8×" : $"≥ {0.9 * processes:0.0}× (90% of {processes})";
        result.Add($"speed-up 1 → {processes}", one / many, "×", "0.00", target, v => v >= 0.9 * processes);
        result.Add($"efficiency on {processes} (ideal / measured)", ideal1 / processes / many * 100, "%", "0");
    }

    private static async Task<double> RunOnAsync(BenchOptions options, StoreKind store, int processes, int n, int ms, ScenarioResult result)
    {
        Log($"threads/{Name(store)}: starting cluster up --processes {processes} --threads 1");
        await using var deployment = await Deployment.UpAsync(store, processes, threads: 1);
        var executor = new ClusterExecutor(deployment.Address.ToString());
        try
        {
            // Warm-up: a few short spins per process so each one has JIT-compiled the handler.
            var warm = Enumerable.Range(0, 4 * processes).Select(_ => executor.Submit<int>("spin", 1)).ToArray();
            await WaitAllAsync(warm, options.Timeout, "warm-up spins");

            Log($"threads/{Name(store)}: {n} × spin({ms}) on {processes} worker process(es)");
            var futures = new ClusterFuture<int>[n];
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < n; i++)
            {
                futures[i] = executor.Submit<int>("spin", ms);
            }
            await WaitAllAsync(futures, options.Timeout, "spins");
            var seconds = Seconds(start, Stopwatch.GetTimestamp());
            var wrong = CountWrong(futures, _ => ms, out var first);
            if (wrong > 0)
            {
                throw new BenchException($"{wrong} of {n} spin results were wrong on {processes} process(es); first: {first}");
            }
            var used = futures.Select(f => f.WorkerId).Distinct().Count();
            if (used != processes)
            {
                result.Notes.Add($"On {processes} worker process(es) the spins ran on {used} worker connection(s).");
            }
            return seconds;
        }
        finally
        {
            await CloseAsync(executor);
        }
    }
}
