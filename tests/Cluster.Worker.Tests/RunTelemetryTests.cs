using System.Diagnostics;
using System.Collections.Concurrent;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Cluster.Worker.Tests;

/// <summary>
/// A real WorkerProcess against a scripted coordinator: each run's handler logs within a scope of
/// its task id, name and attempt, and runs inside a span that is a child of the trace context its
/// assignment carries.
/// </summary>
public sealed class RunTelemetryTests
{
    [Fact]
    public async Task Handler_LogsWithinAScope_OfItsTaskIdNameAndAttempt()
    {
        var provider = new ScopeLoggerProvider();
        using var logging = LoggerFactory.Create(builder => builder.AddProvider(provider));
        var handlerLog = logging.CreateLogger("handler");
        var registry = new TaskRegistry().Register("note", (string text) =>
        {
            handlerLog.LogInformation("noting {Text}", text);
            return text;
        });
        await using var coordinator = await ScriptedCoordinator.StartAsync();
        await using var worker = Run(coordinator, registry, logging);
        var connection = await coordinator.NextConnectionAsync();
        await connection.ReadUntilAsync(m => m.Hello is not null, "hello");

        await connection.SendAsync(new CoordinatorMessage { Assignments = { Assign("t.7", "note", "[\"hello\"]", attempt: 3) } });
        await connection.ReadUntilAsync(m => m.Results.Any(r => r.TaskId == "t.7"), "the result of t.7");

        var line = Assert.Single(provider.Lines, l => l.Message == "noting hello");
        Assert.Equal("t.7", line.Scope["TaskId"]);
        Assert.Equal("note", line.Scope["TaskName"]);
        Assert.Equal(3, line.Scope["Attempt"]);
    }

    [Fact]
    public async Task Run_IsASpan_ChildOfTheAssignmentsTraceContext_AndTheHandlersCurrentActivity()
    {
        var ended = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Cluster",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = ended.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        string? current = null;
        var registry = new TaskRegistry().Register("trace", () =>
        {
            current = Activity.Current?.Id;
            return 1;
        });
        var traceId = ActivityTraceId.CreateRandom();
        var parent = ActivitySpanId.CreateRandom();
        await using var coordinator = await ScriptedCoordinator.StartAsync();
        using var logging = LoggerFactory.Create(_ => { });
        await using var worker = Run(coordinator, registry, logging);
        var connection = await coordinator.NextConnectionAsync();
        await connection.ReadUntilAsync(m => m.Hello is not null, "hello");

        var assignment = Assign("t.9", "trace", "[]", attempt: 1);
        assignment.Traceparent = $"00-{traceId.ToHexString()}-{parent.ToHexString()}-01";
        await connection.SendAsync(new CoordinatorMessage { Assignments = { assignment } });
        await connection.ReadUntilAsync(m => m.Results.Any(r => r.TaskId == "t.9"), "the result of t.9");

        var run = Assert.Single(ended, a => a.OperationName == "cluster.run" && (string?)a.GetTagItem("cluster.task.id") == "t.9");
        Assert.Equal(traceId, run.TraceId);
        Assert.Equal(parent, run.ParentSpanId);
        Assert.Equal(run.Id, current);
    }

    private static Assignment Assign(string id, string name, string args, int attempt) =>
        new() { TaskId = id, Name = name, Attempt = attempt, Session = "s", Args = ByteString.CopyFromUtf8(args) };

    private static StoppingWorker Run(ScriptedCoordinator coordinator, TaskRegistry registry, ILoggerFactory logging) =>
        new(new WorkerProcess(
            new WorkerOptions { Coordinator = coordinator.Address, Threads = 2, Coroutines = 2, MaxReconnectDelay = TimeSpan.FromMilliseconds(200), DrainGrace = TimeSpan.FromSeconds(1) },
            registry, logging.CreateLogger<WorkerProcess>()));

    /// <summary>A worker process running until disposed.</summary>
    private sealed class StoppingWorker : IAsyncDisposable
    {
        private readonly WorkerProcess _worker;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _running;

        public StoppingWorker(WorkerProcess worker)
        {
            _worker = worker;
            _running = worker.RunAsync(_stop.Token);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _running.WaitAsync(TimeSpan.FromSeconds(60));
            _worker.Dispose();
            _stop.Dispose();
        }
    }
}
