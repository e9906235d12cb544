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

    /// <summary>Runs a task may begin: its first and the default bound of 3 lost runs (a drain's hand-back is no run).</summary>
    internal const int RunBound = 4;

    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(Rig.LeaseMs * 2 + 500);

    public static IReadOnlyList<Scenario> All { get; } =
    [
        Standard("worker-process-kill", "kill -9 one worker process", daemons: 1, processes: 2, async s =>
        {
            var victim = s.Rig.WorkerProcesses(s.Daemons[0])[0];
            return Injected.Hitting(await Inject.KillAsync(victim), [victim]);
        }),
        Standard("worker-daemon-kill", "kill -9 a whole worker daemon (its processes follow)", daemons: 2, processes: 1, async s =>
        {
            s.Rig.NoteChildren();
            var processes = s.Rig.WorkerProcesses(s.Daemons[0]);
            var killed = await Inject.KillAsync(s.Daemons[0].Id);
            var followed = await Inject.UntilAsync(() => !processes.Any(ProcFs.IsAlive));
            return Injected.Hitting(killed && followed && processes.Count > 0, processes);
        }),
        Standard("coordinator-restart", "kill -9 the coordinator, start it again", daemons: 1, processes: 2, async s =>
        {
            var (process, url) = s.Coordinators[0];
            var cutOff = s.Rig.WorkerProcesses(s.Daemons[0]);
            var before = (await Rig.ConnectionsAsync(url)).Select(c => c.Id).ToHashSet();
            var killed = await Inject.KillAsync(process.Id);
            s.Coordinators[0] = await s.Rig.CoordinatorAsync(new Uri(url).Port);
            return await CutOffUntilReconnectedAsync(killed, url, cutOff, before);
        }),
        Standard("coordinator-failover", "two coordinators; kill -9 one (clients and workers move to the other)", daemons: 2, processes: 1, async s =>
        {
            // The first daemon dials the first coordinator; the second daemon, the second.
            var cutOff = s.Rig.WorkerProcesses(s.Daemons[0]);
            var survivor = s.Coordinators[1].Url;
            var before = (await Rig.ConnectionsAsync(survivor)).Select(c => c.Id).ToHashSet();
            var killed = await Inject.KillAsync(s.Coordinators[0].Process.Id);
            return await CutOffUntilReconnectedAsync(killed, survivor, cutOff, before);
        }, coordinators: 2),
        // The store's faults are never charged to tasks: workers keep their leases, so no task runs twice.
        Standard("redis-restart", "kill -9 redis-server (appendfsync always), start it again", daemons: 1, processes: 2, async s =>
            Injected.Sparing(await s.Rig.RestartRedisAsync())),
        Standard("worker-sigstop", "SIGSTOP a worker process for twice its lease, then SIGCONT", daemons: 1, processes: 2, async s =>
        {
            var victim = s.Rig.WorkerProcesses(s.Daemons[0])[0];
            return Injected.Hitting(await Inject.PauseAsync(victim, Pause), [victim]);
        }, taskMs: 20),
        Standard("sigterm-drain", "SIGTERM a worker daemon: drain", daemons: 2, processes: 1, async s =>
        {
            // A drain lets running tasks finish and hands back the unstarted ones: nothing runs twice,
            // which tells it from a kill; drained, the daemon exits by itself.
            var daemon = s.Daemons[0];
            var delivered = ChildProcess.Signal(daemon.Id, ChildProcess.SigTerm);
            return Injected.Sparing(delivered && await Inject.UntilAsync(() => daemon.HasExited, TimeSpan.FromSeconds(60)));
        }, taskMs: 20),
        Standard("poison-task", "a task that ends its worker process (FailFast), bound 2 re-runs", daemons: 1, processes: 2, async s =>
        {
            var crash = s.Work.Track(s.Work.Executor.Submit<int>(new TaskPolicy { MaxLostRuns = 2 }, "crash"), -1);
            return EndsItsProcess(crash.Id);
        }, faultsExpected: 3, expectedFailure: f => f.Name != "crash" ? null : f.GetException(TimeSpan.Zero) is RemoteTaskException { DeadLettered: true, RemoteType: "Cluster.WorkerLost" }),
        Standard("hard-timeout", "a hung synchronous task past its 1 s hard timeout", daemons: 1, processes: 2, async s =>
        {
            var hang = s.Work.Track(s.Work.Executor.Submit<int>(new TaskPolicy { HardTimeout = TimeSpan.FromSeconds(1) }, "hang", 600_000), -1);
            return EndsItsProcess(hang.Id);
        }, expectedFailure: f => f.Name != "hang" ? null : f.GetException(TimeSpan.Zero) is RemoteTaskException { RemoteType: "Cluster.HardTimeout" }),
        new("cpu-saturated-long-tasks", "every pool thread busy with CPU tasks longer than the lease", SaturatedAsync),
        new("client-not-reading", "the client reads no completions until all are done", NotReadingAsync),
        new("network-partition", "a worker host cut off from the network for twice its lease, then healed", Partition.RunAsync),
        new("coordinator-host-failover", "two coordinators on two hosts; kill -9 one", CoordinatorHosts.RunAsync),
    ];

    /// <summary>
    /// A coordinator (or two) on redis-server, worker daemons, one client submitting spin tasks;
    /// the fault is injected once a fifth of them are done.
    /// </summary>
    private static Scenario Standard(string name, string fault, int daemons, int processes, Func<Stage, Task<Injected>> inject,
        int faultsExpected = 1, int coordinators = 1, int taskMs = TaskMs, Func<ClusterFuture<int>, bool?>? expectedFailure = null) =>
        new(name, fault, async tasks =>
        {
            await using var rig = await Rig.StartAsync();
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
                var injected = await inject(stage);
                var outcome = await work.FinishAsync(TimeSpan.FromSeconds(180),
                    expectedFailure is null ? null : f => expectedFailure(f) ?? (f.GetException(TimeSpan.Zero) is null && f.Result(TimeSpan.Zero) == taskMs));
                await executor.ShutdownAsync(wait: false, cancelFutures: true);
                // Read before the rig stops: a process the fault ended is told apart from one stopped at the end.
                // A process a task ends (hard timeout, poison) exits a moment after its result is sent:
                // wait for that, with a deadline, before counting.
                var trace = rig.Trace.Read();
                var faults = injected.Faults(trace);
                for (var settle = DateTime.UtcNow + TimeSpan.FromSeconds(10); faults < faultsExpected && DateTime.UtcNow < settle; faults = injected.Faults(trace))
                {
                    await Task.Delay(100);
                    trace = rig.Trace.Read();
                }
                var left = await rig.StopAsync();
                return Figures.Judge(name, fault, work.Futures.Count, faults, faultsExpected, outcome, trace, run => injected.Hit(trace, run), RunBound, left);
            }
            catch (Exception e)
            {
                return Figures.Broken(name, fault, tasks, await rig.StopAsync(), e);
            }
        });

    /// <summary>
    /// A coordinator lost: the runs its worker processes began before they were connected again
    /// (to <paramref name="url"/>) were cut off from it, their results possibly with them; later runs are not.
    /// </summary>
    internal static async Task<Injected> CutOffUntilReconnectedAsync(bool killed, string url, IReadOnlyList<int> cutOff, IReadOnlySet<string> before) =>
        Injected.Hitting(killed, cutOff, await Rig.WaitForReconnectAsync(url, cutOff, before) ?? long.MaxValue);

    /// <summary>A task that ends the worker process it runs in: each of its runs is a fault, and hits that process.</summary>
    private static Injected EndsItsProcess(string taskId) =>
        new(t => t.ProcessesOf(taskId).Distinct().Count(pid => !ProcFs.IsAlive(pid)), (t, run) => t.ProcessesOf(taskId).Contains(run.Pid));

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
        var outcome = await work.FinishAsync(TimeSpan.FromSeconds(180));
        var trace = rig.Trace.Read();
        var left = await rig.StopAsync();
        // No fault: the longest wait for a result says nothing here.
        return Figures.Judge(Name, $"20 × spin({ms} ms) on 10 threads, 2 cores, lease {Rig.LeaseMs} ms", 20, 0, 0, outcome with { Recovery = null }, trace, _ => false, 1, left);
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
        // This raw session is its own client: it counts every completion it reads, duplicates included.
        var seen = new Dictionary<string, int>();
        var done = new List<(string Id, bool HasResult)>();
        var wrong = 0;
        var maxAttempt = 0;
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
                        maxAttempt = Math.Max(maxAttempt, c.Attempt);
                        var right = c.OutcomeCase == Completion.OutcomeOneofCase.Result && c.Result.ToStringUtf8() == TaskMs.ToString(System.Globalization.CultureInfo.InvariantCulture);
                        wrong += right ? 0 : 1;
                        done.Add((c.TaskId, c.OutcomeCase == Completion.OutcomeOneofCase.Result));
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException || e is Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Cancelled })
            {
            }
        }
        var trace = rig.Trace.Read() with { Wire = seen };
        var left = await rig.StopAsync();
        var outcome = new Outcome(tasks - seen.Count, wrong, maxAttempt, null, null, [], done);
        return Figures.Judge(Name, "completions wait in the store until the client reads them", tasks, 0, 0, outcome, trace, _ => false, 1, left);
    }
}
