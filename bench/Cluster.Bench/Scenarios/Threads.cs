using System.Diagnostics;
using Cluster.Bench.Infrastructure;
using Cluster.Client;
using Cluster.SampleTasks.Contracts;
using static Cluster.Bench.Scenarios.Common;

namespace Cluster.Bench.Scenarios;

/// <summary>CPU-bound tasks on 1 worker process vs P, one handler thread each: the speed-up from processes.</summary>
internal static class Threads
{
    public const string Title = "N CPU-bound tasks on 1 worker process, then on P, each started with `--threads 1` " +
        "(one handler thread per process, so a process uses one core). Speed-up = time on 1 / time on P. " +
        "`spin(ms)` busy-waits until ms of WALL time have passed (so it takes as long on a contended core); " +
        "`--fib N` runs fib(N) instead, a fixed amount of CPU work. Worker CPU time is read from /proc.";

    public static async Task RunAsync(BenchOptions options, StoreKind store, ScenarioResult result)
    {
        var n = options.Tasks ?? 200;
        var processes = options.Processes ?? 2;
        if (processes < 2)
        {
            throw new BenchException("threads compares 1 worker process with --processes P: P must be at least 2.");
        }
        var work = options.Fib is { } fib ? $"fib({fib})" : $"spin({options.SpinMs})";
        result.Parameters["tasks"] = n;
        result.Parameters["task"] = work;
        result.Parameters["worker processes"] = $"1 vs {processes}";
        result.Parameters["--threads"] = 1;

        var (one, oneCpu) = await RunOnAsync(options, store, 1, n, result);
        var (many, manyCpu) = await RunOnAsync(options, store, processes, n, result);
        result.Add("time on 1 worker process", one, "s", "0.000");
        if (options.Fib is null)
        {
            result.Add("ideal on 1 (N × ms)", n * options.SpinMs / 1000.0, "s", "0.000");
        }
        result.Add($"time on {processes} worker processes", many, "s", "0.000");
        var ideal = (options.Fib is null ? n * options.SpinMs / 1000.0 : one) / processes;
        result.Add($"ideal on {processes} ({(options.Fib is null ? "N × ms" : "time on 1")} / {processes})", ideal, "s", "0.000");
        var target = processes == 2 ? "≥ 1.8×" : $"≥ {0.9 * processes:0.0}× (90% of {processes})";
        result.Add($"speed-up 1 → {processes}", one / many, "×", "0.00", target, v => v >= 0.9 * processes);
        result.Add($"efficiency on {processes} (ideal / measured)", ideal / many * 100, "%", "0");
        result.Add("worker CPU per task on 1 process", oneCpu / n * 1000, "ms", "0.00");
        result.Add($"worker CPU per task on {processes} processes", manyCpu / n * 1000, "ms", "0.00");
        result.Add($"worker cores busy on {processes} processes (CPU s / wall s)", manyCpu / many, "", "0.00");
    }

    private static async Task<(double Seconds, double WorkerCpu)> RunOnAsync(BenchOptions options, StoreKind store, int processes, int n, ScenarioResult result)
    {
        Log($"threads/{Name(store)}: starting cluster up --processes {processes} --threads 1");
        await using var deployment = await Deployment.UpAsync(store, processes, threads: 1);
        var workers = deployment.WorkerProcessIds();
        var executor = new ClusterExecutor(deployment.Address.ToString());
        try
        {
            // Warm-up: a few short tasks per process so each one has JIT-compiled the handler.
            var warm = Enumerable.Range(0, 4 * processes).Select(_ => Submit(executor, options, warmup: true)).ToArray();
            await WaitAllAsync(warm, options.Timeout, "warm-up tasks");

            Log($"threads/{Name(store)}: {n} tasks on {processes} worker process(es)");
            var futures = new ClusterFuture<long>[n];
            var cpu = new CpuMeter(workers.Select(pid => ("workers", pid)));
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < n; i++)
            {
                futures[i] = Submit(executor, options, warmup: false);
            }
            await WaitAllAsync(futures, options.Timeout, "tasks");
            var seconds = Seconds(start, Stopwatch.GetTimestamp());
            var used = cpu.Stop(result).GetValueOrDefault("workers");
            var expected = options.Fib is { } f ? Fibonacci(f) : options.SpinMs;
            var wrong = CountWrong(futures, _ => expected, out var first);
            if (wrong > 0)
            {
                throw new BenchException($"{wrong} of {n} results were wrong on {processes} process(es); first: {first}");
            }
            var connections = futures.Select(f => f.WorkerId).Distinct().Count();
            if (connections != processes)
            {
                result.Notes.Add($"On {processes} worker process(es) the tasks ran on {connections} worker connection(s).");
            }
            return (seconds, used);
        }
        finally
        {
            await CloseAsync(executor);
        }
    }

    private static ClusterFuture<long> Submit(ClusterExecutor executor, BenchOptions options, bool warmup) =>
        options.Fib is { } fib
            ? executor.Submit(MathTasks.Fib, warmup ? Math.Min(fib, 20) : fib)
            : executor.Submit<long>("spin", warmup ? 1 : options.SpinMs);

    private static long Fibonacci(int n)
    {
        long a = 0, b = 1;
        for (var i = 0; i < n; i++)
        {
            (a, b) = (b, a + b);
        }
        return a;
    }
}
