using System.Diagnostics;
using Cluster.Bench.Infrastructure;
using Cluster.Client;
using static Cluster.Bench.Scenarios.Common;

namespace Cluster.Bench.Scenarios;

/// <summary>C clients (executors in this process, each on its own task) submitting N/C tasks each at the same moment.</summary>
internal static class Clients
{
    public const string Title = "C `ClusterExecutor`s in this process (each its own session and connection), each on its own task, " +
        "start together and submit N/C `add` tasks each, awaiting and checking all of them. A client's rate is its N/C over the time " +
        "from the common start to its own last result; fairness = slowest client's rate / fastest's.";

    public static async Task RunAsync(BenchOptions options, StoreKind store, ScenarioResult result)
    {
        var clients = options.Clients;
        var perClient = (options.Tasks ?? 100_000) / clients;
        if (perClient < 1)
        {
            throw new BenchException($"--tasks must be at least --clients ({clients}).");
        }
        var n = perClient * clients;
        var processes = options.Processes ?? Environment.ProcessorCount;
        var warmup = Math.Min(options.Warmup ?? 16_000, 16_000) / clients;
        result.Parameters["clients"] = clients;
        result.Parameters["tasks"] = n;
        result.Parameters["tasks per client"] = perClient;
        result.Parameters["worker processes"] = processes;
        result.Parameters["warm-up tasks per client"] = warmup;

        Log($"clients/{Name(store)}: starting cluster up --processes {processes}");
        await using var deployment = await Deployment.UpAsync(store, processes);
        var executors = Enumerable.Range(0, clients).Select(_ => new ClusterExecutor(deployment.Address.ToString())).ToArray();
        try
        {
            Log($"clients/{Name(store)}: warm-up ({warmup} tasks per client)");
            await Task.WhenAll(executors.Select(e => WarmUpAsync(e, Math.Max(warmup, 1), options.Timeout)));

            Log($"clients/{Name(store)}: {clients} clients × {perClient:N0} tasks");
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var runs = executors.Select(e => Task.Run(async () =>
            {
                await go.Task;
                var futures = new ClusterFuture<long>[perClient];
                for (var i = 0; i < perClient; i++)
                {
                    futures[i] = e.Submit<long>("add", i, 1);
                }
                await WaitAllAsync(futures, options.Timeout, "tasks of one client", progress: false);
                var end = Stopwatch.GetTimestamp();
                var wrong = CountWrong(futures, i => i + 1L, out var first);
                return (End: end, Wrong: wrong, First: first);
            })).ToArray();
            var start = Stopwatch.GetTimestamp();
            go.SetResult();
            var ends = await Task.WhenAll(runs);

            var rates = ends.Select(r => perClient / Seconds(start, r.End)).ToArray();
            var total = n / Seconds(start, ends.Max(r => r.End));
            result.Add("total throughput", total, "tasks/s", "N0", "≥ 50,000", v => v >= 50_000);
            result.Add("elapsed, start to the last client's last result", Seconds(start, ends.Max(r => r.End)), "s", "0.000");
            result.Add("per-client rate: slowest", rates.Min(), "tasks/s", "N0");
            result.Add("per-client rate: median", Percentile([.. rates.Order()], 50), "tasks/s", "N0");
            result.Add("per-client rate: fastest", rates.Max(), "tasks/s", "N0");
            result.Add("fairness (slowest / fastest)", rates.Min() / rates.Max(), "", "0.00");
            for (var c = 0; c < rates.Length; c++)
            {
                result.Add($"client {c + 1}", rates[c], "tasks/s", "N0");
            }
            var wrongTotal = ends.Sum(r => r.Wrong);
            result.Add("wrong or failed results", wrongTotal, "", "N0", "0", v => v == 0);
            if (ends.FirstOrDefault(r => r.First is not null).First is { } first)
            {
                result.Notes.Add("First wrong result: " + first);
            }
        }
        finally
        {
            foreach (var executor in executors)
            {
                await CloseAsync(executor);
            }
        }
    }
}
