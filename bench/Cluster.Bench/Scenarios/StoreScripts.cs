using System.Diagnostics;
using System.Globalization;
using Cluster.Bench.Infrastructure;
using Cluster.Coordinator;
using Cluster.Coordinator.Internal.Store;
using Cluster.Protocol.V1;
using Google.Protobuf;
using StackExchange.Redis;
using static Cluster.Bench.Scenarios.Common;

namespace Cluster.Bench.Scenarios;

/// <summary>
/// The store's share of a task alone: the coordinator's own store code (<see cref="TaskStore"/>) called
/// from this process, one call in flight, with no gRPC, worker or client around it, so a change to a
/// script shows without the noise of the whole cluster sharing the cores.
/// </summary>
internal static class StoreScripts
{
    public const string Title = "The store's side of a task with nothing around it: this process runs the coordinator's own store code " +
        "(`TaskStore`), one call in flight, against the embedded store in this process (through the in-process transport, as the " +
        "coordinator does) or a redis-server of its own. Each round submits B plain `add` tasks, leases them to one registered worker, " +
        "completes them and acknowledges their completions; B = 100 (a batch of a busy cluster), then B = 1 (a lone round trip). " +
        "Wall time per call, and CPU per task of this process (with the embedded store, the store's too) and of redis-server; " +
        "with one call in flight the runtime's idle threads spin between calls, and a lone round's CPU counts that spinning.";

    private const string Session = "bench-session";
    private const string Worker = "bench-worker";
    private const string Token = "bench-token";
    private static readonly string[] Names = ["add"];

    public static async Task RunAsync(BenchOptions options, StoreKind store, ScenarioResult result)
    {
        // Whole rounds of 100: each round's calls are what the per-call figures divide by.
        var n = Math.Max(100, (options.Tasks ?? 200_000) / 100 * 100);
        var warmup = options.Warmup ?? 50_000;
        var lone = Math.Max(100, n / 100);
        result.Parameters["tasks in rounds of 100"] = n;
        result.Parameters["lone round trips"] = lone;
        result.Parameters["warm-up tasks"] = warmup;

        Log($"scripts/{Name(store)}: starting the store");
        RedisServer? redis = null;
        EmbeddedStore? embedded = null;
        ConfigurationOptions connection;
        if (store == StoreKind.Redis)
        {
            redis = await RedisServer.StartAsync();
            connection = ConfigurationOptions.Parse(redis.Address);
        }
        else
        {
            embedded = EmbeddedStore.Start(dataDirectory: null);
            connection = ConfigurationOptions.Parse(embedded.ConfigurationString);
            connection.Tunnel = embedded.Tunnel;
        }
        try
        {
            await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(connection);
            var layout = await ShardLayout.OpenAsync(multiplexer, "bench", 0);
            var tasks = new TaskStore(multiplexer, layout, new CoordinatorOptions());
            var hello = new Hello { WorkerId = Worker, Host = "bench", ProcessId = Environment.ProcessId, Handlers = { new HandlerInfo { Name = "add", Kind = ExecutionKind.ThreadPool } } };
            if (!await tasks.RegisterAsync(Worker, Token, hello))
            {
                throw new BenchException("The store refused the benchmark's worker registration.");
            }
            var rounds = new Rounds(tasks);

            Log($"scripts/{Name(store)}: warm-up ({warmup:N0} tasks)");
            await rounds.RunAsync(warmup, 100);

            var roles = new List<(string, int)> { ("this", Environment.ProcessId) };
            if (redis is not null)
            {
                roles.Add((CpuMeter.RedisRole, redis.ProcessId));
            }
            foreach (var (count, size) in new[] { (n, 100), (lone, 1) })
            {
                Log($"scripts/{Name(store)}: {count:N0} tasks in rounds of {size}");
                var cpu = new CpuMeter(roles);
                var start = Stopwatch.GetTimestamp();
                var wall = await rounds.RunAsync(count, size);
                var seconds = Seconds(start, Stopwatch.GetTimestamp());
                var used = cpu.Stop(result);
                var calls = count / size;
                var label = size == 1 ? "B = 1" : $"B = {size}";
                string[] steps = ["submit", "lease", "complete", "ack"];
                for (var s = 0; s < steps.Length; s++)
                {
                    result.Add($"{label}: {steps[s]}, µs per call", wall[s].Elapsed.TotalMicroseconds / calls, "µs", "0.0");
                }
                result.Add($"{label}: tasks/s, one call in flight", count / seconds, "tasks/s", "N0");
                var storeRole = redis is null ? "this process (the embedded store and the calls into it)" : "this process (the calls)";
                result.Add($"{label}: CPU per task, {storeRole}", used.GetValueOrDefault("this") / count * 1e6, "µs", "0.0");
                if (redis is not null)
                {
                    result.Add($"{label}: CPU per task, redis-server", used.GetValueOrDefault(CpuMeter.RedisRole) / count * 1e6, "µs", "0.0");
                }
                if (size == 1)
                {
                    // The floor under every call: the same trip with a script that returns at once.
                    var empty = new Script("bench-empty", "return 1");
                    RedisKey[] emptyKeys = [layout.Base.Tag + ":bench"];
                    var db = multiplexer.GetDatabase();
                    var watch = Stopwatch.StartNew();
                    for (var i = 0; i < count; i++)
                    {
                        await empty.RunAsync(db, emptyKeys, []);
                    }
                    result.Add($"{label}: a script that returns at once, µs per call", watch.Elapsed.TotalMicroseconds / count, "µs", "0.0");
                }
            }
        }
        finally
        {
            embedded?.Dispose();
            if (redis is not null)
            {
                await redis.DisposeAsync();
            }
        }
    }

    /// <summary>Rounds of submit, lease, complete and ack, each task checked through its round; the time each of the four steps took.</summary>
    private sealed class Rounds(TaskStore tasks)
    {
        private long _next;

        public async Task<Stopwatch[]> RunAsync(int count, int size)
        {
            Stopwatch[] wall = [new(), new(), new(), new()];
            var specs = new List<TaskSpec>(size);
            var results = new List<TaskResult>(size);
            for (var done = 0; done < count; done += size)
            {
                specs.Clear();
                results.Clear();
                for (var i = 0; i < size; i++)
                {
                    var k = _next++;
                    specs.Add(new TaskSpec { Id = "t" + k.ToString(CultureInfo.InvariantCulture), Name = "add", Args = ByteString.CopyFromUtf8($"[{k},1]") });
                }

                wall[0].Start();
                var submitted = await tasks.SubmitAsync(Session, specs);
                wall[0].Stop();
                if (submitted.Refused.Count > 0 || submitted.Full.Count > 0)
                {
                    throw new BenchException($"The store refused {submitted.Refused.Count + submitted.Full.Count} of a round's {size} tasks.");
                }

                wall[1].Start();
                var leased = await tasks.LeaseAsync(Worker, Token, Names, size, 0);
                wall[1].Stop();
                if (leased.Tasks.Count != size)
                {
                    throw new BenchException($"A lease of {size} queued tasks took {leased.Tasks.Count}.");
                }
                foreach (var task in leased.Tasks)
                {
                    results.Add(new TaskResult { TaskId = task.TaskId, Session = Session, Attempt = task.Attempt, Value = ByteString.CopyFromUtf8("1") });
                }

                wall[2].Start();
                var completed = await tasks.CompleteAsync(Worker, results);
                wall[2].Stop();
                if (completed.Accepted != size)
                {
                    throw new BenchException($"The store accepted {completed.Accepted} of a round's {size} results.");
                }

                wall[3].Start();
                await tasks.AckAsync(Session, long.MaxValue);
                wall[3].Stop();
            }
            return wall;
        }
    }
}
