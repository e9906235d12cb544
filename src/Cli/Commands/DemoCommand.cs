using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Cluster.Cli.Settings;
using Cluster.Client;
using Cluster.SampleTasks.Contracts;

namespace Cluster.Cli.Commands;

/// <summary>
/// <c>cluster demo</c>: a mixed workload of thread-pool and coroutine tasks, each result checked
/// in a done-callback, with a live progress bar; exits 0 only when every result is right.
/// </summary>
internal static class DemoCommand
{
    public static async Task<int> RunAsync(SettingValues values, CancellationToken cancellationToken)
    {
        var total = values.Get(ClusterOptions.DemoTasks);
        var url = values.Get(ClusterOptions.DemoCoordinator);
        var security = ClientToken.Security(values);
        var workers = WorkerSettings.From(values);

        using var logging = Logging.Create(workers.Verbose);
        LocalCluster? local = null;
        try
        {
            if (url is null)
            {
                Console.WriteLine($"Starting a local cluster: coordinator with the embedded store, {workers.Processes} worker processes ...");
                local = await LocalCluster.StartAsync(new Coordinator.CoordinatorOptions { Port = 0 }, workers, logging, workers.Verbose, cancellationToken);
                await local.WaitForWorkersAsync(workers.Processes, TimeSpan.FromSeconds(60), cancellationToken);
                url = local.Address;
                Console.WriteLine($"Cluster up at {url}.");
            }
            return await RunWorkloadAsync(url, security, total, cancellationToken) ? 0 : 1;
        }
        finally
        {
            if (local is not null)
            {
                await local.DisposeAsync();
            }
        }
    }

    private static async Task<bool> RunWorkloadAsync(Uri url, Contracts.ChannelSecurity security, int total, CancellationToken cancellationToken)
    {
        var executor = new ClusterExecutor(url.ToString(), new ClusterExecutorOptions { Token = security.Token, TlsCa = security.TlsCaFile });
        try
        {
            return await RunWorkloadAsync(executor, total, cancellationToken);
        }
        finally
        {
            // Interrupted: cancel what is still queued and leave without waiting for the rest.
            await executor.ShutdownAsync(wait: !cancellationToken.IsCancellationRequested, cancelFutures: cancellationToken.IsCancellationRequested);
        }
    }

    private static async Task<bool> RunWorkloadAsync(ClusterExecutor executor, int total, CancellationToken cancellationToken)
    {
        var tally = new Tally();
        var futures = new List<ClusterFuture>(total);
        var watch = Stopwatch.StartNew();
        using var progress = new ProgressBar(total, () => tally.Done, watch);

        for (var i = 0; i < total; i++)
        {
            futures.Add((i % 20) switch
            {
                < 8 => Check(executor.Submit<long>("add", i, 2L * i), 3L * i, "add", tally),
                < 10 => Check(executor.Submit<long>("fib", 10 + (i % 12)), SampleTasks.SampleTasks.Fib(10 + (i % 12)), "fib", tally),
                < 12 => Check(executor.Submit<DemoRecord>("echo", new DemoRecord(i, $"item-{i}")), new DemoRecord(i, $"item-{i}"), "echo", tally),
                < 19 => Check(executor.Submit<double>("sleep", 0.02), 0.02, "sleep", tally),
                _ => CheckWhere(executor.Submit<WhoAmI>(i % 40 < 20 ? "whoami" : "whoami_async"), i % 40 < 20 ? "ThreadPool" : "CoroutineLoop", tally),
            });
        }
        Console.WriteLine($"Submitted {total:N0} tasks.");

        // Take each future as it completes; its done-callback has checked its result.
        await foreach (var _ in ClusterFutures.AsCompletedAsync(futures, cancellationToken: cancellationToken))
        {
        }
        watch.Stop();
        progress.Finish();

        Console.WriteLine();
        Console.WriteLine($"{"task",-14} {"ok",8} {"wrong",8}");
        foreach (var (name, (ok, wrong)) in tally.ByTask.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"{name,-14} {ok,8:N0} {wrong,8:N0}");
        }
        Console.WriteLine();
        Console.WriteLine("Work by worker process:");
        Console.WriteLine($"{"host",-20} {"pid",8} {"tasks",8}");
        foreach (var group in futures.GroupBy(f => Process(f.WorkerId)).OrderByDescending(g => g.Count()))
        {
            Console.WriteLine($"{group.Key.Host,-20} {group.Key.Pid,8} {group.Count(),8:N0}");
        }
        var processes = futures.Select(f => Process(f.WorkerId)).Distinct().Count();
        Console.WriteLine();
        Console.WriteLine($"{tally.Ok:N0} of {total:N0} results right, {tally.Wrong:N0} wrong, on {processes} worker processes, in {watch.Elapsed.TotalSeconds:0.00} s: {total / watch.Elapsed.TotalSeconds:N0} tasks/s.");
        foreach (var problem in tally.Problems.Take(5))
        {
            Console.WriteLine($"  {problem}");
        }
        return tally.Wrong == 0 && tally.Ok == total;
    }

    private static (string Host, string Pid) Process(string? workerId)
    {
        if (workerId is null)
        {
            return ("(none)", "-");
        }
        var parts = workerId.Split('-');
        return parts.Length >= 4 ? (string.Join('-', parts[..^3]), parts[^3]) : (workerId, "?");
    }

    private static ClusterFuture Check<T>(ClusterFuture<T> future, T expected, string name, Tally tally)
    {
        future.AddDoneCallback(f =>
        {
            var exception = f.GetException(TimeSpan.Zero);
            if (exception is null && EqualityComparer<T>.Default.Equals(f.Result(TimeSpan.Zero), expected))
            {
                tally.Right(name);
            }
            else
            {
                tally.Bad(name, $"{f.Id} {name}: expected {expected}, got {(exception is null ? f.Result(TimeSpan.Zero) : exception.Message)}");
            }
        });
        return future;
    }

    private static ClusterFuture CheckWhere(ClusterFuture<WhoAmI> future, string executor, Tally tally)
    {
        var name = future.Name;
        future.AddDoneCallback(f =>
        {
            var exception = f.GetException(TimeSpan.Zero);
            var where = exception is null ? f.Result(TimeSpan.Zero) : null;
            if (where is not null && where.Executor == executor)
            {
                tally.Right(name);
            }
            else
            {
                tally.Bad(name, $"{f.Id} {name}: expected to run on the {executor}, got {(where?.Executor ?? exception?.Message)}");
            }
        });
        return future;
    }

    private sealed record DemoRecord(int Number, string Text);

    private sealed class Tally
    {
        private int _ok;
        private int _wrong;

        public ConcurrentDictionary<string, (int Ok, int Wrong)> ByTask { get; } = new(StringComparer.Ordinal);

        public ConcurrentQueue<string> Problems { get; } = new();

        public int Ok => Volatile.Read(ref _ok);

        public int Wrong => Volatile.Read(ref _wrong);

        public int Done => Ok + Wrong;

        public void Right(string name)
        {
            ByTask.AddOrUpdate(name, (1, 0), (_, v) => (v.Ok + 1, v.Wrong));
            Interlocked.Increment(ref _ok);
        }

        public void Bad(string name, string problem)
        {
            ByTask.AddOrUpdate(name, (0, 1), (_, v) => (v.Ok, v.Wrong + 1));
            Problems.Enqueue(problem);
            Interlocked.Increment(ref _wrong);
        }
    }
}
