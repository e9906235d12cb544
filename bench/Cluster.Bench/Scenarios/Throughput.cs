using System.Diagnostics;
using Cluster.Bench.Infrastructure;
using Cluster.Client;
using static Cluster.Bench.Scenarios.Common;

namespace Cluster.Bench.Scenarios;

/// <summary>N no-op tasks from one client, every result awaited and checked; tasks/s and CPU per task of each process.</summary>
internal static class Throughput
{
    public const string Title = "N no-op `add(i, 1)` tasks submitted by one client as fast as `Submit` returns, every result awaited and checked. " +
        "Rate from the first submit to the last result; CPU per task is user+system time (from /proc/PID/stat) over the measured run, divided by N.";

    public static async Task RunAsync(BenchOptions options, StoreKind store, ScenarioResult result)
    {
        var n = options.Tasks ?? 100_000;
        var processes = options.Processes ?? Environment.ProcessorCount;
        // Long enough for every process to reach its steady state (tiered JIT, pools, buffers).
        var warmup = options.Warmup ?? 20_000;
        result.Parameters["tasks"] = n;
        result.Parameters["worker processes"] = processes;
        result.Parameters["warm-up tasks"] = warmup;

        Log($"throughput/{Name(store)}: starting cluster up --processes {processes}");
        await using var deployment = await Deployment.UpAsync(store, processes);
        var workers = deployment.WorkerProcessIds();
        if (workers.Count != processes)
        {
            result.Notes.Add($"Found {workers.Count} worker processes under the up process (pid {deployment.Coordinator.Id}), expected {processes}.");
        }
        var executor = new ClusterExecutor(deployment.Address.ToString());
        try
        {
            Log($"throughput/{Name(store)}: warm-up ({warmup:N0} tasks)");
            await WarmUpAsync(executor, warmup, options.Timeout);

            var roles = new List<(string, int)> { ("client", Environment.ProcessId), ("up", deployment.Coordinator.Id) };
            roles.AddRange(workers.Select(pid => ("workers", pid)));
            if (deployment.Redis is not null)
            {
                roles.Add((CpuMeter.RedisRole, deployment.Redis.ProcessId));
            }

            Log($"throughput/{Name(store)}: {n:N0} tasks");
            var futures = new ClusterFuture<long>[n];
            var upPaused = await deployment.CoordinatorGcPauseAsync();
            var cpu = new CpuMeter(roles);
            var heap = HeapMeter.Start();
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < n; i++)
            {
                futures[i] = executor.Submit<long>("add", i, 1);
            }
            var submitted = Stopwatch.GetTimestamp();
            await WaitAllAsync(futures, options.Timeout, "tasks");
            var end = Stopwatch.GetTimestamp();
            var used = cpu.Stop(result);
            var gc = heap.Stop();
            var upPausedAfter = await deployment.CoordinatorGcPauseAsync();

            var seconds = Seconds(start, end);
            var wrong = CountWrong(futures, i => i + 1L, out var first);
            result.Add("throughput", n / seconds, "tasks/s", "N0", "≥ 50,000", v => v >= 50_000);
            result.Add("elapsed, first submit to last result", seconds, "s", "0.000");
            result.Add("Submit loop (all N futures handed out)", Seconds(start, submitted), "s", "0.000");
            result.Add("wrong or failed results", wrong, "", "N0", "0", v => v == 0);
            var storeRole = deployment.Redis is null ? "up process: coordinator + embedded store" : "up process: coordinator";
            result.Add("CPU per task: client (this process)", Micro(used, "client", n), "µs", "0.0");
            gc.Report(result, n, seconds);
            result.Add($"CPU per task: {storeRole}", Micro(used, "up", n), "µs", "0.0");
            // Every thread of the up process stops for a collection, the store's too.
            result.Add("up process: time paused for collections (its /metrics)", upPausedAfter - upPaused is { } paused ? paused.TotalSeconds / seconds * 100 : null, "% of the run", "0.0");
            if (deployment.Redis is not null)
            {
                result.Add("CPU per task: redis-server (with the AOF rewrites it forked)", Micro(used, CpuMeter.RedisRole, n), "µs", "0.0");
            }
            result.Add($"CPU per task: worker processes ({workers.Count}, summed)", Micro(used, "workers", n), "µs", "0.0");
            var total = used.Values.Sum();
            result.Add("CPU per task: all processes", total / n * 1e6, "µs", "0.0");
            result.Add($"CPU busy during the run (all processes / {Environment.ProcessorCount} cores)", total / seconds / Environment.ProcessorCount * 100, "%", "0");
            result.Add("RSS after: up process", ProcFs.RssBytes(deployment.Coordinator.Id) is { } up ? Mib(up) : null, "MiB", "0");
            result.Add("RSS after: worker processes (summed)", Mib(workers.Sum(pid => ProcFs.RssBytes(pid) ?? 0)), "MiB", "0");
            if (first is not null)
            {
                result.Notes.Add("First wrong result: " + first);
            }
        }
        finally
        {
            await CloseAsync(executor);
        }
    }

    private static double? Micro(Dictionary<string, double> used, string role, int n) =>
        used.TryGetValue(role, out var seconds) ? seconds / n * 1e6 : null;
}
