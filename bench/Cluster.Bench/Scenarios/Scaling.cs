using System.Diagnostics;
using System.Globalization;
using System.Text;
using Cluster.Bench.Infrastructure;
using Cluster.Client;
using StackExchange.Redis;
using static Cluster.Bench.Scenarios.Common;

namespace Cluster.Bench.Scenarios;

/// <summary>
/// The costs a scaling model is built from, per task: store commands (INFO commandstats on every
/// master), store CPU, coordinator CPU and bytes, worker CPU (/proc of each process), on one
/// redis-server and on a 3-master Redis Cluster, with 1, 2 and 4 worker processes; and what
/// `--replica-acks 1` costs on a redis-server with one replica.
/// </summary>
internal static class Scaling
{
    public const string Title = "Per task: store commands (INFO commandstats summed over the masters), CPU of the store's masters, the coordinator " +
        "(`cluster coordinator`, a process of its own), the worker processes (summed) and the client, and the bytes the coordinator read and wrote " +
        "(/proc/PID/io), for N no-op `add` tasks from one client; on one redis-server (1 shard) and on a 3-master Redis Cluster, worker processes 1, 2, 4; " +
        "then `--replica-acks` 0 vs 1 on a redis-server with one replica, 2 worker processes. A fresh coordinator and worker daemon for every point.";

    private static readonly int[] WorkerCounts = [1, 2, 4];

    private sealed record Point(string Store, int Processes, string Acks, double Rate, double Commands, double StoreCpu, double CoordinatorCpu,
        double WorkerCpu, double ClientCpu, double CoordinatorBytes, double BusiestMaster);

    public static async Task RunAsync(BenchOptions options, StoreKind store, ScenarioResult result)
    {
        if (store != options.Stores[0])
        {
            result.Notes.Add("Runs once, on stores of its own.");
            return;
        }
        var n = options.Tasks ?? 20_000;
        var warmup = options.Warmup ?? 5_000;
        result.Parameters["tasks per point"] = n;
        result.Parameters["warm-up tasks per point"] = warmup;
        result.Parameters["stores"] = "its own: a redis-server (appendonly everysec); a Redis Cluster of 3 masters (no persistence); a redis-server with one replica";
        var points = new List<Point>();

        await using (var single = await RedisServer.StartAsync())
        {
            foreach (var processes in WorkerCounts)
            {
                points.Add(await MeasureAsync("1 shard", single.Address, [(single.Address, single.ProcessId)], processes, 0, n, warmup, options.Timeout));
            }
        }
        await using (var cluster = await RedisClusterServer.StartAsync(3))
        {
            var masters = cluster.Nodes.Where(m => m.Role == "master").Select(m => (m.Address, m.ProcessId)).ToList();
            foreach (var processes in WorkerCounts)
            {
                points.Add(await MeasureAsync("3 masters", cluster.MasterAddresses, masters, processes, 0, n, warmup, options.Timeout));
            }
        }
        await using (var master = await RedisServer.StartAsync())
        await using (var replica = await RedisServer.StartAsync(extraArguments: ["--replicaof", "127.0.0.1", master.Port.ToString(CultureInfo.InvariantCulture)]))
        {
            await WaitForReplicaAsync(master.Address);
            foreach (var acks in new[] { 0, 1 })
            {
                points.Add(await MeasureAsync("1 shard + replica", master.Address, [(master.Address, master.ProcessId)], 2, acks, n, warmup, options.Timeout));
            }
        }

        foreach (var p in points)
        {
            var label = $"{p.Store}, {p.Processes} worker process{(p.Processes == 1 ? "" : "es")}, replica acks {p.Acks}";
            result.Add($"{label}: throughput", p.Rate, "tasks/s", "N0");
            result.Add($"{label}: store commands per task", p.Commands, "", "0.00");
            result.Add($"{label}: store CPU per task (masters summed)", p.StoreCpu, "µs", "0.0");
            result.Add($"{label}: coordinator CPU per task", p.CoordinatorCpu, "µs", "0.0");
            result.Add($"{label}: worker CPU per task", p.WorkerCpu, "µs", "0.0");
        }
        result.Notes.Add("Per-point table:" + Environment.NewLine + Environment.NewLine + Table(points));
    }

    private static async Task<Point> MeasureAsync(string store, string address, IReadOnlyList<(string Address, int Pid)> masters, int processes, int acks, int n, int warmup, TimeSpan timeout)
    {
        Log($"scaling: {store}, {processes} worker processes, replica acks {acks}");
        var configuration = ConfigurationOptions.Parse(string.Join(',', masters.Select(m => m.Address)));
        configuration.AllowAdmin = true;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(configuration);
        foreach (var (master, _) in masters)
        {
            await redis.GetServer(master).FlushAllDatabasesAsync();
        }
        await using var deployment = await Deployment.CoordinatorAsync(address, acks > 0 ? ["--replica-acks", acks.ToString(CultureInfo.InvariantCulture)] : []);
        deployment.StartWorkers(processes);
        var workers = await deployment.WaitForWorkersAsync(processes);
        var executor = new ClusterExecutor(deployment.Address.ToString());
        try
        {
            await WarmUpAsync(executor, warmup, timeout);
            var roles = new List<(string, int)> { ("client", Environment.ProcessId), ("coordinator", deployment.Coordinator.Id) };
            roles.AddRange(workers.Select(pid => ("workers", pid)));
            roles.AddRange(masters.Select(m => (CpuMeter.RedisRole, m.Pid)));
            var commandsBefore = await CommandsAsync(redis, masters);
            var bytesBefore = ProcFs.IoBytes(deployment.Coordinator.Id);
            var scratch = new ScenarioResult("scaling", store, string.Empty);
            var cpu = new CpuMeter(roles);
            var start = Stopwatch.GetTimestamp();
            var futures = new ClusterFuture<long>[n];
            for (var i = 0; i < n; i++)
            {
                futures[i] = executor.Submit<long>("add", i, 1);
            }
            await WaitAllAsync(futures, timeout, "tasks", progress: false);
            var seconds = Seconds(start, Stopwatch.GetTimestamp());
            var used = cpu.Stop(scratch);
            var bytesAfter = ProcFs.IoBytes(deployment.Coordinator.Id);
            var commandsAfter = await CommandsAsync(redis, masters);
            if (CountWrong(futures, i => i + 1L, out var first) > 0)
            {
                throw new BenchException($"Wrong results at {store}, {processes} worker processes: first {first}");
            }
            var perMaster = commandsAfter.Zip(commandsBefore, (a, b) => (double)(a - b)).ToList();
            double Micro(string role) => used.GetValueOrDefault(role) / n * 1e6;
            return new Point(store, processes, acks.ToString(CultureInfo.InvariantCulture), n / seconds, perMaster.Sum() / n, Micro(CpuMeter.RedisRole),
                Micro("coordinator"), Micro("workers"), Micro("client"),
                bytesAfter is { } a && bytesBefore is { } b ? (double)(a - b) / n : double.NaN,
                perMaster.Max() / Math.Max(1, perMaster.Sum()) * 100);
        }
        finally
        {
            await CloseAsync(executor);
        }
    }

    /// <summary>Commands each master has run so far (INFO commandstats: the calls of every command, summed).</summary>
    private static async Task<long[]> CommandsAsync(ConnectionMultiplexer redis, IReadOnlyList<(string Address, int Pid)> masters)
    {
        var counts = new long[masters.Count];
        for (var i = 0; i < masters.Count; i++)
        {
            foreach (var group in await redis.GetServer(masters[i].Address).InfoAsync("commandstats"))
            {
                foreach (var (_, value) in group)
                {
                    // calls=N,usec=...,usec_per_call=...
                    var calls = value.Split(',')[0];
                    counts[i] += long.Parse(calls[(calls.IndexOf('=', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture);
                }
            }
        }
        return counts;
    }

    private static async Task WaitForReplicaAsync(string master)
    {
        var configuration = ConfigurationOptions.Parse(master);
        configuration.AllowAdmin = true;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(configuration);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!((string?)await redis.GetServer(master).ExecuteAsync("INFO", "replication") ?? string.Empty).Contains("connected_slaves:1", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new BenchException("The replica did not connect to its master within 60 s.");
            }
            await Task.Delay(100);
        }
    }

    private static string Table(List<Point> points)
    {
        var text = new StringBuilder();
        text.AppendLine("| store | worker processes | replica acks | tasks/s | store commands / task | busiest master's share of commands | store CPU µs / task | coordinator CPU µs / task | worker CPU µs / task | client CPU µs / task | coordinator bytes / task |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var p in points)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {p.Store} | {p.Processes} | {p.Acks} | {p.Rate:N0} | {p.Commands:0.00} | {p.BusiestMaster:0}% | {p.StoreCpu:0.0} | {p.CoordinatorCpu:0.0} | {p.WorkerCpu:0.0} | {p.ClientCpu:0.0} | {p.CoordinatorBytes:N0} |");
        }
        return text.ToString();
    }
}
