using System.Diagnostics;
using Cluster.Bench.Infrastructure;
using Cluster.Client;
using static Cluster.Bench.Scenarios.Common;

namespace Cluster.Bench.Scenarios;

/// <summary>
/// Fair share between sessions: one client's sequential round trips alone, then while another
/// client's backlog of the same task name drains.
/// </summary>
internal static class Fairness
{
    public const string Title = "One client's sequential round trips of one `add` task each, alone and then while another client's " +
        "backlog of N `add` tasks (same name and queue) drains: sessions take turns, so the backlog delays the other client's task " +
        "by about one task per busy session, not by the backlog.";

    public static async Task RunAsync(BenchOptions options, StoreKind store, ScenarioResult result)
    {
        var backlog = options.Tasks ?? 20_000;
        var processes = options.Processes ?? Environment.ProcessorCount;
        var warmup = options.Warmup ?? 1_000;
        const int Samples = 200;
        result.Parameters["backlog tasks"] = backlog;
        result.Parameters["round trips measured (each pass)"] = Samples;
        result.Parameters["worker processes"] = processes;

        Log($"fairness/{Name(store)}: starting cluster up --processes {processes}");
        await using var deployment = await Deployment.UpAsync(store, processes);
        var other = new ClusterExecutor(deployment.Address.ToString());
        var bulk = new ClusterExecutor(deployment.Address.ToString());
        try
        {
            await Latency.RoundTripsAsync(other, warmup, options.Timeout, null);
            var alone = new double[Samples];
            await Latency.RoundTripsAsync(other, Samples, options.Timeout, alone);

            Log($"fairness/{Name(store)}: a backlog of {backlog:N0}, then {Samples} round trips of the other client");
            var start = Stopwatch.GetTimestamp();
            var futures = new List<Task<long>>(backlog);
            for (var i = 0; i < backlog; i++)
            {
                futures.Add(bulk.Submit<long>("add", i, 1).AsTask());
            }
            var drained = Task.WhenAll(futures);
            var during = new double[Samples];
            await Latency.RoundTripsAsync(other, Samples, options.Timeout, during);
            var measuredWhileDraining = !drained.IsCompleted;
            var doneAtEnd = futures.Count(f => f.IsCompleted);
            await drained.WaitAsync(options.Timeout);
            var seconds = Seconds(start, Stopwatch.GetTimestamp());

            Array.Sort(alone);
            Array.Sort(during);
            result.Add("p50 alone", Percentile(alone, 50), "ms", "0.000");
            result.Add("p99 alone", Percentile(alone, 99), "ms", "0.000");
            result.Add("p50 beside the backlog", Percentile(during, 50), "ms", "0.000");
            result.Add("p99 beside the backlog", Percentile(during, 99), "ms", "0.000");
            result.Add("max beside the backlog", during[^1], "ms", "0.000");
            result.Add("backlog done when the other client's last round trip ended", doneAtEnd, "tasks");
            result.Add("round trips all measured while the backlog drained (1 yes)", measuredWhileDraining ? 1 : 0, "");
            result.Add("backlog drained in", seconds, "s", "0.00");
        }
        finally
        {
            await CloseAsync(other);
            await CloseAsync(bulk);
        }
    }
}
