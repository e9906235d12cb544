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
            var before = await MemoryAsync(deployment);

            // Queued in two halves, measured after each: growth over the second half is what the
            // backlog itself costs, apart from one-off growth (heaps sized up, buffers, JIT).
            var half = n / 2;
            var futures = new ClusterFuture<long>[n];
            var queueing = 0.0;
            var submitLoop = 0.0;
            Memory middle;
            long? peak;
            using (var rss = new PeakSampler(() => ProcFs.RssBytes(coordinator), TimeSpan.FromMilliseconds(50)))
            {
                Log($"backlog/{Name(store)}: queueing {half:N0} tasks");
                (var q, var l) = await QueueAsync(executor, deployment, futures, 0, half, warmup, options.Timeout);
                queueing += q;
                submitLoop += l;
                middle = await MemoryAsync(deployment);
                Log($"backlog/{Name(store)}: queueing {n - half:N0} more tasks");
                (q, l) = await QueueAsync(executor, deployment, futures, half, n, warmup, options.Timeout);
                queueing += q;
                submitLoop += l;
                rss.Dispose();
                peak = rss.Peak;
            }
            var after = await MemoryAsync(deployment);

            result.Add("queueing rate (submit until Status shows all queued)", n / queueing, "tasks/s", "N0");
            result.Add("Submit loop (all N futures handed out)", submitLoop, "s", "0.000");
            var secondHalf = n - half;
            if (deployment.Redis is not null)
            {
                result.Add("store memory per queued task (redis used_memory growth / N)", (after.Used!.Value - before.Used!.Value) / (double)n, "bytes", "N0", "≤ 300 bytes", v => v <= 300);
                result.Add("store memory per queued task, second half only", (after.Used.Value - middle.Used!.Value) / (double)secondHalf, "bytes", "N0");
                result.Add("redis used_memory before queueing", Mib(before.Used.Value), "MiB", "0.0");
                result.Add("redis used_memory, half queued", Mib(middle.Used.Value), "MiB", "0.0");
                result.Add("redis used_memory, all queued", Mib(after.Used.Value), "MiB", "0.0");
                result.Add("redis-server RSS growth / N", (after.RedisRss!.Value - before.RedisRss!.Value) / (double)n, "bytes", "N0");
                result.Add("coordinator RSS growth / N (the store is elsewhere)", (after.Rss - before.Rss) / (double)n, "bytes", "N0");
                result.Add("coordinator RSS growth per task, second half only", (after.Rss - middle.Rss) / (double)secondHalf, "bytes", "N0", "≈ 0 (not growing)", v => v <= 30);
            }
            else
            {
                result.Add("store memory per queued task (coordinator RSS growth / N; store inside)", (after.Rss - before.Rss) / (double)n, "bytes", "N0", "≤ 300 bytes", v => v <= 300);
                result.Add("the same, second half only", (after.Rss - middle.Rss) / (double)secondHalf, "bytes", "N0");
            }
            result.Add("coordinator RSS before queueing", Mib(before.Rss), "MiB", "0");
            result.Add("coordinator RSS, half queued", Mib(middle.Rss), "MiB", "0");
            result.Add("coordinator RSS, all queued", Mib(after.Rss), "MiB", "0");
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

    /// <summary>Submits futures[from..to) and waits until the store holds them; returns (submit to queued, Submit loop) in seconds.</summary>
    private static async Task<(double Queueing, double SubmitLoop)> QueueAsync(ClusterExecutor executor, Deployment deployment, ClusterFuture<long>[] futures, int from, int to, int already, TimeSpan timeout)
    {
        var start = Stopwatch.GetTimestamp();
        for (var i = from; i < to; i++)
        {
            futures[i] = executor.Submit<long>("add", i, 1);
        }
        var submitted = Stopwatch.GetTimestamp();
        await WaitQueuedAsync(deployment, already + to, timeout);
        var queued = Stopwatch.GetTimestamp();
        // Let the coordinator settle (pending buffers returned, a GC perhaps) before memory is read.
        await Task.Delay(1000);
        return (Seconds(start, queued), Seconds(start, submitted));
    }

    private sealed record Memory(long Rss, long? Used, long? RedisRss);

    private static async Task<Memory> MemoryAsync(Deployment deployment) => new(
        ProcFs.RssBytes(deployment.Coordinator.Id) ?? 0,
        deployment.Redis is null ? null : await deployment.Redis.UsedMemoryAsync(),
        deployment.Redis is null ? null : ProcFs.RssBytes(deployment.Redis.ProcessId));

    /// <summary>Waits until the store holds <paramref name="count"/> queued tasks; fails when the count stops growing for <paramref name="stall"/>.</summary>
    public static async Task WaitQueuedAsync(Deployment deployment, long count, TimeSpan stall)
    {
        var last = -1L;
        var lastProgress = Stopwatch.GetTimestamp();
        long queued;
        while ((queued = await deployment.QueuedAsync("add")) < count)
        {
            if (queued != last)
            {
                last = queued;
                lastProgress = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(lastProgress) > stall)
            {
                throw new BenchException($"Only {queued:N0} of {count:N0} tasks were queued, and none more in the last {stall.TotalSeconds:0} s.");
            }
            await Task.Delay(20);
        }
    }
}
