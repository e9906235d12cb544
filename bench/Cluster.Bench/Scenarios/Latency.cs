using System.Diagnostics;
using Cluster.Bench.Infrastructure;
using Cluster.Client;
using static Cluster.Bench.Scenarios.Common;

namespace Cluster.Bench.Scenarios;

/// <summary>Sequential single-task round trips: submit add, await its result, repeat.</summary>
internal static class Latency
{
    public const string Title = "Sequential round trips of one `add` task each (submit, await the result, next), after a warm-up; " +
        "one client, nothing else in flight.";

    public static async Task RunAsync(BenchOptions options, StoreKind store, ScenarioResult result)
    {
        var n = options.Tasks ?? 5_000;
        var processes = options.Processes ?? Environment.ProcessorCount;
        // Long enough for every process to reach its steady state (tiered JIT, pools, buffers).
        var warmup = options.Warmup ?? 3_000;
        result.Parameters["round trips"] = n;
        result.Parameters["worker processes"] = processes;
        result.Parameters["warm-up round trips"] = warmup;

        Log($"latency/{Name(store)}: starting cluster up --processes {processes}");
        await using var deployment = await Deployment.UpAsync(store, processes);
        var executor = new ClusterExecutor(deployment.Address.ToString());
        try
        {
            Log($"latency/{Name(store)}: {warmup:N0} warm-up + {n:N0} measured round trips");
            await RoundTripsAsync(executor, warmup, options.Timeout, null);
            var samples = new double[n];
            var start = Stopwatch.GetTimestamp();
            await RoundTripsAsync(executor, n, options.Timeout, samples);
            var seconds = Seconds(start, Stopwatch.GetTimestamp());
            Array.Sort(samples);
            result.Add("p50", Percentile(samples, 50), "ms", "0.000", "≤ 0.5 ms", v => v <= 0.5);
            result.Add("p90", Percentile(samples, 90), "ms", "0.000");
            result.Add("p99", Percentile(samples, 99), "ms", "0.000", "≤ 2 ms", v => v <= 2);
            result.Add("p99.9", Percentile(samples, 99.9), "ms", "0.000");
            result.Add("max", samples[^1], "ms", "0.000");
            result.Add("mean", samples.Average(), "ms", "0.000");
            result.Add("round trips per second (sequential)", n / seconds, "/s", "N0");
        }
        finally
        {
            await CloseAsync(executor);
        }
    }

    internal static async Task RoundTripsAsync(ClusterExecutor executor, int count, TimeSpan timeout, double[]? samples)
    {
        for (var i = 0; i < count; i++)
        {
            var elapsed = await RoundTripAsync(executor, i, timeout);
            if (samples is not null)
            {
                samples[i] = elapsed;
            }
        }
    }

    /// <summary>Round trip <paramref name="i"/> (an <c>add(i, 1)</c>, its result awaited and checked); its time in ms.</summary>
    internal static async Task<double> RoundTripAsync(ClusterExecutor executor, int i, TimeSpan timeout)
    {
        var start = Stopwatch.GetTimestamp();
        var future = executor.Submit<long>("add", i, 1);
        long value;
        try
        {
            value = await future.AsTask().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw RoundTripTimedOut(i, future, timeout, "await");
        }
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        CheckRoundTrip(i, future, value, "await");
        return elapsed;
    }

    /// <summary>Round trip <paramref name="i"/> with the blocking <c>Result()</c>, as a synchronous user program calls it; its time in ms.</summary>
    internal static double BlockingRoundTrip(ClusterExecutor executor, int i, TimeSpan timeout)
    {
        var start = Stopwatch.GetTimestamp();
        var future = executor.Submit<long>("add", i, 1);
        long value;
        try
        {
            value = future.Result(timeout);
        }
        catch (TimeoutException)
        {
            throw RoundTripTimedOut(i, future, timeout, "Result()");
        }
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        CheckRoundTrip(i, future, value, "Result()");
        return elapsed;
    }

    private static BenchException RoundTripTimedOut(int i, ClusterFuture future, TimeSpan timeout, string wait) =>
        new($"Round trip {i + 1} (task {future.Id}, {wait}) did not finish within {timeout.TotalSeconds:0} s.");

    private static void CheckRoundTrip(int i, ClusterFuture future, long value, string wait)
    {
        if (value != i + 1L)
        {
            throw new BenchException($"Round trip {i + 1} (task {future.Id}, {wait}) returned {value} instead of {i + 1}.");
        }
    }
}
