using System.Diagnostics;
using System.Globalization;
using Cluster.Bench.Infrastructure;
using Cluster.Client;

namespace Cluster.Bench.Scenarios;

/// <summary>What the scenarios share: waiting for futures with a deadline, checking results, metering CPU and sampling processes.</summary>
internal static class Common
{
    public static void Log(string message) =>
        Console.Error.WriteLine($"[{DateTime.Now.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)}] {message}");

    /// <summary>Submits <paramref name="count"/> add(i, 1) tasks and checks every result (a warm-up: JIT, connections, pools).</summary>
    public static async Task WarmUpAsync(ClusterExecutor executor, int count, TimeSpan timeout)
    {
        if (count <= 0)
        {
            return;
        }
        var futures = new ClusterFuture<long>[count];
        for (var i = 0; i < count; i++)
        {
            futures[i] = executor.Submit<long>("add", i, 1);
        }
        await WaitAllAsync(futures, timeout, "warm-up tasks");
        var wrong = CountWrong(futures, i => i + 1L, out var first);
        if (wrong > 0)
        {
            throw new BenchException($"{wrong} of {count} warm-up results were wrong; first: {first}");
        }
    }

    /// <summary>
    /// Waits until every future is done, logging progress every 5 s. Fails when no future has
    /// finished for <paramref name="stall"/> (a hang), saying how many were done.
    /// </summary>
    public static async Task WaitAllAsync<T>(IReadOnlyList<ClusterFuture<T>> futures, TimeSpan stall, string what, bool progress = true)
    {
        var all = Task.WhenAll(futures.Select(f => f.AsTask()));
        var lastDone = -1;
        var lastProgress = Stopwatch.GetTimestamp();
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(5)));
            if (all.IsCompleted)
            {
                return; // faulted ones are counted by the caller
            }
            var done = 0;
            for (var i = 0; i < futures.Count; i++)
            {
                if (futures[i].Done)
                {
                    done++;
                }
            }
            if (done != lastDone)
            {
                lastDone = done;
                lastProgress = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(lastProgress) > stall)
            {
                throw new BenchException($"Only {done:N0} of {futures.Count:N0} {what} were done, and none finished in the last {stall.TotalSeconds:0} s (see --timeout).");
            }
            if (progress && futures.Count >= 1000)
            {
                Log($"  {done:N0} of {futures.Count:N0} {what} done after {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s");
            }
        }
    }

    /// <summary>Futures whose result is not <paramref name="expected"/>(index), failed or cancelled ones included.</summary>
    public static int CountWrong<T>(IReadOnlyList<ClusterFuture<T>> futures, Func<int, T> expected, out string? first)
    {
        var wrong = 0;
        first = null;
        var comparer = EqualityComparer<T>.Default;
        for (var i = 0; i < futures.Count; i++)
        {
            var task = futures[i].AsTask();
            if (task.IsCompletedSuccessfully && comparer.Equals(task.Result, expected(i)))
            {
                continue;
            }
            wrong++;
            first ??= task.IsCompletedSuccessfully
                ? $"task {futures[i].Id}: {task.Result} instead of {expected(i)}"
                : $"task {futures[i].Id}: {(task.IsCanceled ? "cancelled" : task.Exception?.InnerException?.Message ?? task.Status.ToString())}";
        }
        return wrong;
    }

    /// <summary>
    /// Shuts the executor down: waits for nothing when futures are still pending (a failed run),
    /// so a stuck scenario cannot hang the benchmark.
    /// </summary>
    public static async Task CloseAsync(ClusterExecutor executor)
    {
        if (executor.PendingCount > 0)
        {
            await executor.ShutdownAsync(wait: false);
            return;
        }
        try
        {
            await executor.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            Log("warning: the executor did not shut down within 30 s; leaving it.");
        }
    }

    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        // Nearest rank.
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double Seconds(long fromTimestamp, long toTimestamp) => Stopwatch.GetElapsedTime(fromTimestamp, toTimestamp).TotalSeconds;

    public static string Name(StoreKind store) => store == StoreKind.Redis ? "redis" : "embedded";

    public static double Mib(long bytes) => bytes / 1024.0 / 1024.0;
}

/// <summary>
/// CPU seconds (user + system, from /proc) that each process used between construction and
/// <see cref="Stop"/>. A redis-server's count includes the AOF rewrites it forked that finished meanwhile.
/// </summary>
internal sealed class CpuMeter
{
    public const string RedisRole = "redis-server";

    private readonly List<(string Role, int Pid, double Start)> _processes = [];

    public CpuMeter(IEnumerable<(string Role, int Pid)> processes)
    {
        foreach (var (role, pid) in processes)
        {
            _processes.Add((role, pid, ProcFs.CpuSeconds(pid, role == RedisRole) ?? throw new BenchException($"Process {pid} ({role}) is gone before the measurement.")));
        }
    }

    /// <summary>CPU seconds per role (processes of one role summed).</summary>
    public Dictionary<string, double> Stop(ScenarioResult result)
    {
        var used = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (role, pid, start) in _processes)
        {
            var end = ProcFs.CpuSeconds(pid, role == RedisRole);
            if (end is null)
            {
                result.Notes.Add($"Process {pid} ({role}) exited during the measurement: its CPU time is missing.");
                continue;
            }
            used[role] = used.GetValueOrDefault(role) + (end.Value - start);
        }
        return used;
    }
}

/// <summary>
/// The client's (this process's) managed heap over a measurement: bytes allocated, collections by
/// generation and the time the runtime paused for them.
/// </summary>
internal readonly record struct HeapMeter(long Allocated, int Gen0, int Gen1, int Gen2, TimeSpan Paused)
{
    public static HeapMeter Start() =>
        new(GC.GetTotalAllocatedBytes(precise: true), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());

    /// <summary>What happened since <see cref="Start"/>.</summary>
    public HeapMeter Stop() =>
        new(GC.GetTotalAllocatedBytes(precise: true) - Allocated, GC.CollectionCount(0) - Gen0, GC.CollectionCount(1) - Gen1,
            GC.CollectionCount(2) - Gen2, GC.GetTotalPauseDuration() - Paused);

    public void Report(ScenarioResult result, int tasks, double seconds)
    {
        result.Add("client heap: bytes allocated per task", (double)Allocated / tasks, "B", "N0");
        result.Add("client heap: gen 0 collections", Gen0, "", "N0");
        result.Add("client heap: gen 1 collections", Gen1, "", "N0");
        result.Add("client heap: gen 2 collections", Gen2, "", "N0");
        result.Add("client heap: time paused for collections", Paused.TotalSeconds / seconds * 100, "% of the run", "0.0");
    }
}

/// <summary>Samples a value of a process (RSS, threads) on a thread of its own until disposed; keeps the peak.</summary>
internal sealed class PeakSampler : IDisposable
{
    private readonly Func<long?> _read;
    private readonly TimeSpan _interval;
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _peak = long.MinValue;
    private int _samples;

    public PeakSampler(Func<long?> read, TimeSpan interval)
    {
        _read = read;
        _interval = interval;
        _thread = new Thread(Run) { IsBackground = true, Name = "bench-sampler" };
        _thread.Start();
    }

    public long? Peak => _samples == 0 ? null : Interlocked.Read(ref _peak);

    public int Samples => _samples;

    private void Run()
    {
        while (!_stop)
        {
            Sample();
            Thread.Sleep(_interval);
        }
    }

    private void Sample()
    {
        if (_read() is { } value)
        {
            if (value > Interlocked.Read(ref _peak))
            {
                Interlocked.Exchange(ref _peak, value);
            }
            Interlocked.Increment(ref _samples);
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        Sample();
    }
}
