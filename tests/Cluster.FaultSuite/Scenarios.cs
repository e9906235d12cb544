using System.Text;
using Cluster.Client;
using Cluster.Contracts;
using Cluster.Testing;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Grpc.Net.Client;

namespace Cluster.FaultSuite;

/// <summary>One fault scenario.</summary>
internal sealed record Scenario(string Name, string Fault, Func<int, Task<Figures>> RunAsync);

/// <summary>The processes a standard scenario runs, handed to its fault.</summary>
internal sealed record Stage(Rig Rig, List<(ChildProcess Process, string Url)> Coordinators, List<ChildProcess> Daemons, Workload Work);

internal static class Scenarios
{
    private const int TaskMs = 2;
    private const int RunBound = 5;
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(Rig.LeaseMs * 2 + 500);

    public static IReadOnlyList<Scenario> All { get; } =
    [
        Standard("worker-process-kill", "kill -9 one worker process", daemons: 1, processes: 2, async s =>
        {
            ChildProcess.Signal(s.Rig.WorkerProcesses(s.Daemons[0])[0], 9);
            return 1;
        }),
        Standard("worker-daemon-kill", "kill -9 a whole worker daemon (its processes follow)", daemons: 2, processes: 1, async s =>
        {
            s.Rig.NoteChildren();
            ChildProcess.Signal(s.Daemons[0].Id, 9);
            return 1;
        }),
        Standard("coordinator-restart", "kill -9 the coordinator, start it again", daemons: 1, processes: 2, async s =>
        {
            var (process, url) = s.Coordinators[0];
            ChildProcess.Signal(process.Id, 9);
            await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
            s.Coordinators[0] = await s.Rig.CoordinatorAsync(new Uri(url).Port);
            return 1;
        }),
        Standard("coordinator-failover", "two coordinators; kill -9 one (clients and workers move to the other)", daemons: 2, processes: 1, async s =>
        {
            ChildProcess.Signal(s.Coordinators[0].Process.Id, 9);
            return 1;
        }, coordinators: 2),
        Standard("redis-restart", "kill -9 redis-server (appendfsync always), start it again", daemons: 1, processes: 2, async s =>
        {
            await s.Rig.RestartRedisAsync();
            return 1;
        }),
        Standard("worker-sigstop", "SIGSTOP a worker process for twice its lease, then SIGCONT", daemons: 1, processes: 2, async s =>
        {
            var victim = s.Rig.WorkerProcesses(s.Daemons[0])[0];
            ChildProcess.Signal(victim, 19);
            await Task.Delay(Pause);
            ChildProcess.Signal(victim, 18);
            return 1;
        }, taskMs: 20),
        Standard("sigterm-drain", "SIGTERM a worker daemon: drain", daemons: 2, processes: 1, async s =>
        {
            ChildProcess.Signal(s.Daemons[0].Id, 15);
            return 1;
        }, taskMs: 20),
        Standard("poison-task", "a task that ends its worker process (FailFast), bound 2 re-runs", daemons: 1, processes: 2, async s =>
        {
            _ = s.Work.Track(s.Work.Executor.Submit<int>(new TaskPolicy { MaxLostRuns = 2 }, "crash"), -1);
            return 1;
        }, expectedFailure: f => f.Name != "crash" ? null : f.GetException(TimeSpan.Zero) is RemoteTaskException { DeadLettered: true, RemoteType: "Cluster.WorkerLost" }),
        Standard("hard-timeout", "a hung synchronous task past its 1 s hard timeout", daemons: 1, processes: 2, async s =>
        {
            _ = s.Work.Track(s.Work.Executor.Submit<int>(new TaskPolicy { HardTimeout = TimeSpan.FromSeconds(1) }, "hang", 600_000), -1);
            return 1;
        }, expectedFailure: f => f.Name != "hang" ? null : f.GetException(TimeSpan.Zero) is RemoteTaskException { RemoteType: "Cluster.HardTimeout" }),
        new("cpu-saturated-long-tasks", "every pool thread busy with CPU tasks longer than the lease", SaturatedAsync),
        new("client-not-reading", "the client reads no completions until all are done", NotReadingAsync),
        new("network-partition", "a worker host cut off from the network for twice its lease, then healed", Partition.RunAsync),
    ];

    /// <summary>
    /// A coordinator (or two) on redis-server, worker daemons, one client submitting spin tasks;
    /// the fault is injected once a fifth of them are done.
    /// </summary>
    private static Scenario Standard(string name, string fault, int daemons, int processes, Func<Stage, Task<int>> inject,
        int coordinators = 1, int taskMs = TaskMs, Func<ClusterFuture<int>, bool?>? expectedFailure = null) =>
        new(name, fault, async tasks =>
        {
            var rig = await Rig.StartAsync();
            var left = 0;
            try
            {
                var stage = new Stage(rig, [], [], null!);
                for (var i = 0; i < coordinators; i++)
                {
                    stage.Coordinators.Add(await rig.CoordinatorAsync());
                }
                for (var i = 0; i < daemons; i++)
                {
                    // With two coordinators, the daemons spread over them, each knowing the other as its next.
                    var urls = Enumerable.Range(0, coordinators).Select(c => stage.Coordinators[(i + c) % coordinators].Url).ToList();
                    stage.Daemons.Add(rig.WorkerDaemon(urls, processes));
                }
                // All coordinators share the store, so any of them sees every worker.
                await rig.WaitForWorkersAsync(stage.Coordinators[0].Url, processes * daemons);
                await using var executor = new ClusterExecutor(stage.Coordinators.Select(c => c.Url));
                var work = new Workload(executor);
                stage = stage with { Work = work };
                work.Spin(tasks, taskMs);
                await work.WaitForDoneAsync(tasks / 5);
                rig.NoteChildren();
                work.MarkFault();
                var faults = await inject(stage);
                var (lost, twice, wrong, maxRuns, recovery, allDone, odd) = await work.FinishAsync(TimeSpan.FromSeconds(180),
                    expectedFailure is null ? null : f => expectedFailure(f) ?? (f.GetException(TimeSpan.Zero) is null && f.Result(TimeSpan.Zero) == taskMs));
                await executor.ShutdownAsync(wait: false, cancelFutures: true);
                left = await rig.StopAsync();
                var passed = lost == 0 && twice == 0 && wrong == 0 && maxRuns <= RunBound && left == 0;
                return new Figures(name, fault, work.Futures.Count, faults, lost, twice, wrong, maxRuns, recovery, allDone, left, passed, Describe(odd));
            }
            catch (Exception e)
            {
                left = await rig.StopAsync();
                return new Figures(name, fault, tasks, 0, tasks, 0, 0, 0, null, null, left, false, "harness error: " + e.Message.Split('\n')[0]);
            }
        });

    /// <summary>20 CPU-bound tasks per worker process, each longer than the lease: nothing may run twice.</summary>
    private static async Task<Figures> SaturatedAsync(int tasks)
    {
        const string Name = "cpu-saturated-long-tasks";
        await using var rig = await Rig.StartAsync();
        var (_, url) = await rig.CoordinatorAsync();
        rig.WorkerDaemon(url, processes: 1, threads: 10);
        await rig.WaitForWorkersAsync(url, 1);
        await using var executor = new ClusterExecutor(url);
        var work = new Workload(executor);
        var ms = Rig.LeaseMs + 1500;
        work.MarkFault();
        work.Spin(20, ms);
        var (lost, twice, wrong, maxRuns, _, allDone, odd) = await work.FinishAsync(TimeSpan.FromSeconds(180));
        var left = await rig.StopAsync();
        var passed = lost == 0 && twice == 0 && wrong == 0 && maxRuns == 1 && left == 0;
        return new Figures(Name, $"20 × spin({ms} ms) on 10 threads, 2 cores, lease {Rig.LeaseMs} ms", 20, 0, lost, twice, wrong, maxRuns, null, allDone, left, passed,
            (maxRuns == 1 ? "no task ran twice" : "a task ran again") + Describe(odd));
    }

    /// <summary>A raw session submits and does not read its completions until every task is done; then it reads them all.</summary>
    private static async Task<Figures> NotReadingAsync(int tasks)
    {
        const string Name = "client-not-reading";
        await using var rig = await Rig.StartAsync();
        var (_, url) = await rig.CoordinatorAsync();
        rig.WorkerDaemon(url, processes: 2);
        await rig.WaitForWorkersAsync(url, 2);
        using var channel = GrpcChannel.ForAddress(url);
        var client = new Protocol.V1.Tasks.TasksClient(channel);
        var admin = new Admin.AdminClient(channel);
        var session = "quiet" + Guid.NewGuid().ToString("N")[..10];
        var request = new SubmitRequest { Session = session };
        for (var i = 0; i < tasks; i++)
        {
            request.Tasks.Add(new TaskSpec { Id = $"{session}.{i}", Name = "spin", Args = ByteString.CopyFrom(Encoding.UTF8.GetBytes($"[{TaskMs}]")) });
        }
        await client.SubmitAsync(request);
        var started = DateTime.UtcNow;
        while (true)
        {
            var status = await admin.StatusAsync(new StatusRequest());
            if (status.Queues.All(q => q.Queued == 0) && status.Workers.All(w => w.Leased == 0) || DateTime.UtcNow - started > TimeSpan.FromSeconds(120))
            {
                break;
            }
            await Task.Delay(100);
        }
        var seen = new Dictionary<string, int>();
        var wrong = 0;
        var maxRuns = 0;
        using (var stream = client.Completions(new CompletionsRequest { Session = session }))
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                while (seen.Count < tasks && await stream.ResponseStream.MoveNext(deadline.Token))
                {
                    foreach (var c in stream.ResponseStream.Current.Completions)
                    {
                        seen[c.TaskId] = seen.GetValueOrDefault(c.TaskId) + 1;
                        maxRuns = Math.Max(maxRuns, c.Attempt);
                        if (c.OutcomeCase != Completion.OutcomeOneofCase.Result || c.Result.ToStringUtf8() != TaskMs.ToString(System.Globalization.CultureInfo.InvariantCulture))
                        {
                            wrong++;
                        }
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException || e is Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Cancelled })
            {
            }
        }
        var left = await rig.StopAsync();
        var lost = tasks - seen.Count;
        var twice = seen.Values.Count(n => n > 1);
        return new Figures(Name, "completions wait in the store until the client reads them", tasks, 0, lost, twice, wrong, maxRuns, null, null, left,
            lost == 0 && twice == 0 && wrong == 0 && left == 0, string.Empty);
    }

    private static string Describe(List<ClusterFuture<int>> odd) =>
        odd.Count == 0 ? string.Empty : " first odd: " + string.Join("; ", odd.Take(2).Select(f => $"{f.Id} {f.Name} {f.State} {f.GetException(TimeSpan.Zero)?.Message}"));
}
