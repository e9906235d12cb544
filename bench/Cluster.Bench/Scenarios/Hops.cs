using System.Globalization;
using Cluster.Bench.Infrastructure;
using Cluster.Client;
using Cluster.Contracts;
using static Cluster.Bench.Scenarios.Common;

namespace Cluster.Bench.Scenarios;

/// <summary>
/// Where a round trip's time goes: the latency scenario's sequential round trips with every process
/// writing hop timestamps (<see cref="HopTrace"/>), then the time between consecutive hops.
/// </summary>
internal static class Hops
{
    public const string Title = "Sequential round trips of one `add` task each, as in `latency`, with every process (client, coordinator, " +
        "workers) writing a timestamp as each task passes a hop (`CLUSTER_HOP_TRACE`); the time from each hop to the next, " +
        "over the measured round trips. Writing the timestamps costs a few µs per hop, so the sum is above `latency`'s.";

    public static async Task RunAsync(BenchOptions options, StoreKind store, ScenarioResult result)
    {
        var n = options.Tasks ?? 2_000;
        var processes = options.Processes ?? Environment.ProcessorCount;
        var warmup = options.Warmup ?? 3_000;
        result.Parameters["round trips"] = n;
        result.Parameters["worker processes"] = processes;
        result.Parameters["warm-up round trips"] = warmup;

        var directory = Directory.CreateTempSubdirectory("cluster-hops-").FullName;
        try
        {
            Log($"hops/{Name(store)}: starting cluster up --processes {processes}, tracing into {directory}");
            var deployment = await StartTracedAsync(store, processes, directory);
            await using (deployment)
            {
                var executor = new ClusterExecutor(deployment.Address.ToString());
                try
                {
                    await Latency.RoundTripsAsync(executor, warmup, options.Timeout, null);
                    // Only the measured round trips have the client's marks; the analysis keeps only those.
                    HopTrace.Start(directory);
                    await Latency.RoundTripsAsync(executor, n, options.Timeout, null);
                }
                finally
                {
                    HopTrace.Stop();
                    await CloseAsync(executor);
                }
            }
            Report(Read(directory), n, result);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<Deployment> StartTracedAsync(StoreKind store, int processes, string directory)
    {
        // The cluster processes inherit it from this one.
        Environment.SetEnvironmentVariable(HopTrace.EnvironmentVariable, directory);
        try
        {
            return await Deployment.UpAsync(store, processes);
        }
        finally
        {
            Environment.SetEnvironmentVariable(HopTrace.EnvironmentVariable, null);
        }
    }

    /// <summary>Every task's first timestamp at each hop, from every process's file.</summary>
    private static Dictionary<string, Dictionary<string, long>> Read(string directory)
    {
        var tasks = new Dictionary<string, Dictionary<string, long>>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(directory, "hops.*.txt"))
        {
            foreach (var line in File.ReadLines(file))
            {
                var parts = line.Split(' ');
                if (parts.Length != 3 || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
                {
                    continue;
                }
                if (!tasks.TryGetValue(parts[1], out var marks))
                {
                    tasks[parts[1]] = marks = new Dictionary<string, long>(StringComparer.Ordinal);
                }
                marks.TryAdd(parts[0], ticks);
            }
        }
        return tasks;
    }

    private static void Report(Dictionary<string, Dictionary<string, long>> tasks, int n, ScenarioResult result)
    {
        var points = HopTrace.Points;
        var complete = tasks.Values.Where(marks => points.All(marks.ContainsKey)).ToList();
        result.Add("round trips with every hop traced", complete.Count, "", "N0", $"{n:N0}", v => v == n);
        if (complete.Count == 0)
        {
            throw new BenchException("No round trip was traced at every hop.");
        }
        var ticksPerMicrosecond = System.Diagnostics.Stopwatch.Frequency / 1e6;
        for (var i = 0; i + 1 < points.Count; i++)
        {
            var (from, to) = (points[i], points[i + 1]);
            var spans = complete.Select(marks => (marks[to] - marks[from]) / ticksPerMicrosecond).Order().ToArray();
            result.Add($"{from} → {to}: p50", Percentile(spans, 50), "µs", "0");
            result.Add($"{from} → {to}: p90", Percentile(spans, 90), "µs", "0");
        }
        var total = complete.Select(marks => (marks[points[^1]] - marks[points[0]]) / ticksPerMicrosecond).Order().ToArray();
        result.Add("whole round trip (first hop to last): p50", Percentile(total, 50), "µs", "0");
        result.Add("whole round trip (first hop to last): p90", Percentile(total, 90), "µs", "0");
    }
}
