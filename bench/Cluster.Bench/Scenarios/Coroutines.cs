using System.Diagnostics;
using Cluster.Bench.Infrastructure;
using Cluster.Client;
using Cluster.SampleTasks.Contracts;
using static Cluster.Bench.Scenarios.Common;

namespace Cluster.Bench.Scenarios;

/// <summary>N concurrent sleep(0.1) on one worker process's coroutine loop: wall time and the process's threads.</summary>
internal static class Coroutines
{
    public const string Title = "N `sleep(s)` tasks submitted at once to ONE worker process started with `--coroutines N` " +
        "(async handlers run on its coroutine loop). Wall time from the first submit to the last result, against the ideal s; " +
        "the worker process's thread count (/proc/PID/status Threads) sampled every 5 ms.";

    public static async Task RunAsync(BenchOptions options, StoreKind store, ScenarioResult result)
    {
        var n = options.Tasks ?? 10_000;
        var sleep = options.SleepSeconds;
        var coroutines = Math.Max(n, 1000);
        // Rounds of the measured shape, so the whole path has reached its steady state (tiered JIT).
        var warmup = options.Warmup ?? 2 * n;
        result.Parameters["tasks"] = n;
        result.Parameters["sleep"] = $"{sleep} s";
        result.Parameters["worker processes"] = 1;
        result.Parameters["--coroutines"] = coroutines;

        Log($"coroutines/{Name(store)}: starting cluster up --processes 1 --coroutines {coroutines}");
        await using var deployment = await Deployment.UpAsync(store, processes: 1, coroutines: coroutines);
        var worker = deployment.WorkerProcessIds() is [var only] ? only : throw new BenchException("Expected exactly one worker process under the up process.");
        var executor = new ClusterExecutor(deployment.Address.ToString());
        try
        {
            Log($"coroutines/{Name(store)}: warm-up ({warmup:N0} × sleep(0.01), in rounds of {n:N0})");
            for (var done = 0; done < warmup; done += n)
            {
                var warm = Enumerable.Range(0, Math.Min(n, warmup - done)).Select(_ => executor.Submit(MathTasks.Sleep, 0.01)).ToArray();
                await WaitAllAsync(warm, options.Timeout, "warm-up sleeps");
            }
            // Let the JIT's background compilations of the warm-up land.
            await Task.Delay(1000);

            var threadsBefore = ProcFs.Threads(worker);
            Log($"coroutines/{Name(store)}: {n:N0} × sleep({sleep})");
            var futures = new ClusterFuture<double>[n];
            long start;
            using (var threads = new PeakSampler(() => ProcFs.Threads(worker), TimeSpan.FromMilliseconds(5)))
            using (var upThreads = new PeakSampler(() => ProcFs.Threads(deployment.Coordinator.Id), TimeSpan.FromMilliseconds(20)))
            {
                start = Stopwatch.GetTimestamp();
                for (var i = 0; i < n; i++)
                {
                    futures[i] = executor.Submit(MathTasks.Sleep, sleep);
                }
                await WaitAllAsync(futures, options.Timeout, "sleeps");
                var end = Stopwatch.GetTimestamp();
                var seconds = Seconds(start, end);
                var wrong = CountWrong(futures, _ => sleep, out var first);
                result.Add("wall time, first submit to last result", seconds, "s", "0.000", "< 0.5 s", v => v < 0.5);
                result.Add("ideal (one sleep)", sleep, "s", "0.000");
                result.Add("wall time / ideal", seconds / sleep, "×", "0.0");
                result.Add("wrong or failed results", wrong, "", "N0", "0", v => v == 0);
                if (first is not null)
                {
                    result.Notes.Add("First wrong result: " + first);
                }
                threads.Dispose();
                upThreads.Dispose();
                result.Add("worker process threads before", threadsBefore, "", "N0");
                result.Add("worker process threads, peak during the run", threads.Peak, "", "N0", "< 50", v => v < 50);
                result.Add("up process threads, peak during the run", upThreads.Peak, "", "N0");
                result.Parameters["thread samples"] = threads.Samples;
            }
            var workers = futures.Select(f => f.WorkerId).Distinct().Count();
            if (workers != 1)
            {
                result.Notes.Add($"The sleeps ran on {workers} worker connections (expected 1).");
            }
        }
        finally
        {
            await CloseAsync(executor);
        }
    }
}
