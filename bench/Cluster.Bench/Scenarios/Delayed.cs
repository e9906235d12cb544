using Cluster.Bench.Infrastructure;
using Cluster.Client;
using Cluster.SampleTasks.Contracts;
using static Cluster.Bench.Scenarios.Common;

namespace Cluster.Bench.Scenarios;

/// <summary>
/// How late delayed tasks start: N `clock` tasks, each with a time to run at (NotBefore) spread over
/// a few seconds, all submitted ahead of time; each reports the worker's clock when it started.
/// On one host the worker's clock is the store's, so start − due is the lateness itself.
/// </summary>
internal static class Delayed
{
    public const string Title = "Lateness of delayed tasks: N `clock` tasks submitted at once, each with a NotBefore spread evenly " +
        "over 1 to 5 s ahead; start (the worker's clock as the handler starts) minus due time.";

    // Due times fall in this window after the submits begin.
    private const int FirstMs = 1000;
    private const int SpreadMs = 4000;

    public static async Task RunAsync(BenchOptions options, StoreKind store, ScenarioResult result)
    {
        var n = options.Tasks ?? 2_000;
        var processes = options.Processes ?? Environment.ProcessorCount;
        var warmup = options.Warmup ?? 3_000;
        result.Parameters["delayed tasks"] = n;
        result.Parameters["worker processes"] = processes;
        result.Parameters["warm-up tasks"] = warmup;

        Log($"delayed/{Name(store)}: starting cluster up --processes {processes}");
        await using var deployment = await Deployment.UpAsync(store, processes);
        var executor = new ClusterExecutor(deployment.Address.ToString());
        try
        {
            await WarmUpAsync(executor, warmup, options.Timeout);
            // A few delayed ones first, so the promotion path is warm too.
            await Task.WhenAll(Enumerable.Range(0, 50).Select(i => executor.Submit<ClockReading>(new SubmitOptions { Delay = TimeSpan.FromMilliseconds(100 + i) }, "clock").AsTask()));
            Log($"delayed/{Name(store)}: {n:N0} tasks due over {SpreadMs / 1000} s");
            var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + FirstMs;
            var due = new long[n];
            var futures = new List<ClusterFuture<ClockReading>>(n);
            for (var i = 0; i < n; i++)
            {
                due[i] = start + (long)i * SpreadMs / n;
                futures.Add(executor.Submit<ClockReading>(new SubmitOptions { NotBefore = DateTimeOffset.FromUnixTimeMilliseconds(due[i]) }, "clock"));
            }
            await WaitAllAsync(futures, options.Timeout, "delayed tasks");
            var lateness = new double[n];
            for (var i = 0; i < n; i++)
            {
                lateness[i] = futures[i].Result().StartedUnixMs - due[i];
            }
            var early = lateness.Count(l => l < 0);
            Array.Sort(lateness);
            result.Add("started early", early, "tasks", "N0", "0", v => v == 0);
            result.Add("lateness p50", Percentile(lateness, 50), "ms", "0");
            result.Add("lateness p90", Percentile(lateness, 90), "ms", "0");
            result.Add("lateness p99", Percentile(lateness, 99), "ms", "0");
            result.Add("lateness max", lateness[^1], "ms", "0");
            result.Add("lateness min", lateness[0], "ms", "0");
        }
        finally
        {
            await CloseAsync(executor);
        }
    }
}
