using System.Collections;
using System.Diagnostics;
using Cluster.Bench.Infrastructure;
using Cluster.Client;
using static Cluster.Bench.Scenarios.Common;

namespace Cluster.Bench.Scenarios;

/// <summary>Items through a bounded cluster queue: one producer (a task handler in a worker process), one consumer (this process).</summary>
internal static class QueueThroughput
{
    public const string Title = "N items through a cluster queue of max size 100: one producer (the `queue.produce` handler in the one worker " +
        "process, `PutAsync` per item) and one consumer (this process, `GetAsync` per item), every item checked once. Rate from the submit of the producer to the last item taken.";

    public static async Task RunAsync(BenchOptions options, StoreKind store, ScenarioResult result)
    {
        var n = options.Tasks ?? 100_000;
        var warmup = options.Warmup ?? 5_000;
        result.Parameters["items"] = n;
        result.Parameters["max size"] = 100;
        result.Parameters["warm-up items"] = warmup;

        Log($"queue/{Name(store)}: starting cluster up --processes 1");
        await using var deployment = await Deployment.UpAsync(store, 1);
        var executor = new ClusterExecutor(deployment.Address.ToString());
        try
        {
            Log($"queue/{Name(store)}: warm-up ({warmup:N0} items)");
            await PassAsync(executor, "bench-queue-warmup", warmup, options.Timeout);
            Log($"queue/{Name(store)}: {n:N0} items");
            var start = Stopwatch.GetTimestamp();
            var wrong = await PassAsync(executor, "bench-queue", n, options.Timeout);
            var seconds = Seconds(start, Stopwatch.GetTimestamp());
            result.Add("throughput", n / seconds, "items/s", "N0");
            result.Add("elapsed", seconds, "s", "0.000");
            result.Add("items lost or doubled", wrong, "", "N0", "0", v => v == 0);
        }
        finally
        {
            await CloseAsync(executor);
        }
    }

    /// <summary>Passes <paramref name="n"/> items; answers how many were missing or came twice.</summary>
    private static async Task<int> PassAsync(ClusterExecutor executor, string name, int n, TimeSpan stall)
    {
        var queue = executor.GetQueue<long>(name, maxSize: 100);
        var producer = executor.Submit<int>("queue.produce", name, 0, n, 100);
        var seen = new BitArray(n);
        var wrong = 0;
        for (var i = 0; i < n; i++)
        {
            var item = (int)await queue.GetAsync(stall);
            wrong += seen[item] ? 1 : 0;
            seen[item] = true;
        }
        await producer.AsTask().WaitAsync(stall);
        for (var i = 0; i < n; i++)
        {
            wrong += seen[i] ? 0 : 1;
        }
        return wrong;
    }
}
