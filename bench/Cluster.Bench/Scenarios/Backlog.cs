using System.Diagnostics;
using Cluster.Bench.Infrastructure;
using Cluster.Client;
using static Cluster.Bench.Scenarios.Common;

namespace Cluster.Bench.Scenarios;

/// <summary>N tasks queued while no worker exists: store memory per task and coordinator RSS; then the time to drain them.</summary>
internal static class Backlog
{
    public const string Title = "`cluster coordinator` alone (no worker anywhere); one client queues N `add` tasks and the bench waits until " +
        "Admin.Status shows them all queued. Store memory per task: embedded — growth of the coordinator's RSS (the store lives in it); " +
        "redis — growth of INFO memory used_memory. Then `cluster worker --processes P` starts and the bench times the drain (all futures resolved).";

    public static async Task RunAsync(BenchOptions options, StoreKind store, ScenarioResult result)
    {
        var n = options.Tasks ?? 1_000_000;
        var processes = options.Processes ?? 2;
        var warmup = Math.Min(options.Warmup ?? 1_000, 10_000);
        result.Parameters["tasks"] = n;
        result.Parameters["warm-up tasks (queued first, before the baseline)"] = warmup;
        result.Parameters["worker processes for the drain"] = processes;

        Log($"backlog/{Name(store)}: starting cluster coordinator (no workers)");
        await using var deployment = await Deployment.CoordinatorAsync(store);
        var coordinator = deployment.Coordinator.Id;
        var executor = new ClusterExecutor(deployment.Address.ToString());
        try
        {
            // Warm-up: the submit path compiled and the store's structures created, so the baseline is not start-up.
            var warm = new ClusterFuture<long>[warmup];
            for (var i = 0; i < warmup; i++)
            {
                warm[i] = executor.Submit<long>("add", i, 1);
            }
            await WaitQueuedAsync(deployment, warmup, options.Timeout);
            await Task.Delay(1000);
            var rssBefore = ProcFs.RssBytes(coordinator) ?? 0;
            long? usedBefore = deployment.Redis is null ? null : await deployment.Redis.UsedMemoryAsync();
            long? redisRssBefore = deployment.Redis is null ? null : ProcFs.RssBytes(deployment.Redis.ProcessId);

            Log($"backlog/{Name(store)}: queueing {n:N0} tasks");
            var futures = new ClusterFuture<long>[n];
            long start, submitted, queued;
            long? peak;
            using (var rss = new PeakSampler(() => ProcFs.RssBytes(coordinator), TimeSpan.FromMilliseconds(50)))
            {
                start = Stopwatch.GetTimestamp();
                for (var i = 0; i < n; i++)
                {
                    futures[i] = executor.Submit<long>("add", i, 1);
                }
                submitted = Stopwatch.GetTimestamp();
                await WaitQueuedAsync(deployment, warmup + n, options.Timeout);
                queued = Stopwatch.GetTimestamp();
                await Task.Delay(1000);
                rss.Dispose();
                peak = rss.Peak;
            }
            var rssAfter = ProcFs.RssBytes(coordinator) ?? 0;
            long? usedAfter = deployment.Redis is null ? null : await deployment.Redis.UsedMemoryAsync();
            long? redisRssAfter = deployment.Redis is null ? null : ProcFs.RssBytes(deployment.Redis.ProcessId);

            result.Add("queueing rate (first submit until Status shows all queued)", n / Seconds(start, queued), "tasks/s", "N0");
            result.Add("Submit loop (all N futures handed out)", Seconds(start, submitted), "s", "0.000");
            if (usedBefore is { } ub && usedAfter is { } ua)
            {
                result.Add("store memory per queued task (redis used_memory growth / N)", (ua - ub) / (double)n, "bytes", "N0", "≤ 300 bytes", v => v <= 300);
                result.Add("redis used_memory before queueing", Mib(ub), "MiB", "0.0");
                result.Add("redis used_memory after queueing", Mib(ua), "MiB", "0.0");
                result.Add("redis-server RSS growth / N", ((redisRssAfter ?? 0) - (redisRssBefore ?? 0)) / (double)n, "bytes", "N0");
                result.Add("coordinator RSS growth / N (the store is elsewhere)", (rssAfter - rssBefore) / (double)n, "bytes", "N0", "≈ 0 (not growing)", v => v <= 50);
            }
            else
            {
                result.Add("store memory per queued task (coordinator RSS growth / N; store inside)", (rssAfter - rssBefore) / (double)n, "bytes", "N0", "≤ 300 bytes", v => v <= 300);
            }
            result.Add("coordinator RSS before queueing", Mib(rssBefore), "MiB", "0");
            result.Add("coordinator RSS after queueing (1 s after)", Mib(rssAfter), "MiB", "0");
            result.Add("coordinator RSS peak while queueing", peak is { } p ? Mib(p) : null, "MiB", "0");

            Log($"backlog/{Name(store)}: starting cluster worker --processes {processes}; draining");
            var drainStart = Stopwatch.GetTimestamp();
            var daemon = deployment.StartWorkers(processes);
            var firstDone = futures[0].WhenDone();
            var winner = await Task.WhenAny(firstDone, daemon.Exited, Task.Delay(options.Timeout));
            if (winner != firstDone)
            {
                throw new BenchException(winner == daemon.Exited
                    ? $"The worker daemon exited (code {daemon.ExitCode}) before the first result."
                    : $"No result within {options.Timeout.TotalSeconds:0} s of starting the workers.");
            }
            var firstResult = Stopwatch.GetTimestamp();
            await WaitAllAsync(futures, options.Timeout, "backlog tasks");
            await WaitAllAsync(warm, options.Timeout, "warm-up tasks");
            var drained = Stopwatch.GetTimestamp();
            var wrong = CountWrong(futures, i => i + 1L, out var first);

            result.Add("drain: worker start to all results", Seconds(drainStart, drained), "s", "0.000");
            result.Add("drain: worker start to the first result", Seconds(drainStart, firstResult), "s", "0.000");
            result.Add("drain rate, first result to last", n / Math.Max(Seconds(firstResult, drained), 1e-9), "tasks/s", "N0");
            result.Add("wrong or failed results", wrong, "", "N0", "0", v => v == 0);
            if (first is not null)
            {
                result.Notes.Add("First wrong result: " + first);
            }
            result.Add("coordinator RSS after the drain", ProcFs.RssBytes(coordinator) is { } r ? Mib(r) : null, "MiB", "0");
            if (deployment.Redis is not null)
            {
                result.Add("redis used_memory after the drain", Mib(await deployment.Redis.UsedMemoryAsync()), "MiB", "0.0");
            }
        }
        finally
        {
            await CloseAsync(executor);
        }
    }

    private static async Task WaitQueuedAsync(Deployment deployment, long count, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        long queued;
        while ((queued = await deployment.QueuedAsync("add")) < count)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new BenchException($"Only {queued:N0} of {count:N0} tasks were queued after {timeout.TotalSeconds:0} s.");
            }
            await Task.Delay(20);
        }
    }
}
