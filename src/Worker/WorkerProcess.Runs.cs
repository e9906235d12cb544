using System.Collections.Concurrent;
using System.Diagnostics;
using Cluster.Contracts;
using Cluster.Protocol.V1;
using Cluster.Worker.Internal;
using Cluster.Worker.Internal.Telemetry;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Worker;

/// <summary>The runs: one leased task each, keyed by task and attempt, from assignment to result.</summary>
public sealed partial class WorkerProcess
{
    /// <summary>How long started and progress notices are held to coalesce them. Default: 25 ms.</summary>
    private static readonly TimeSpan NoticeInterval = TimeSpan.FromMilliseconds(25);
    /// <summary>Longest progress note sent; a longer one is cut. Keeps every notice small.</summary>
    private const int MaxProgressNoteChars = 1024;
    /// <summary>Longest error message and stack trace sent; longer ones are cut, so an error result stays small.</summary>
    private const int MaxErrorMessageChars = 8 * 1024;
    private const int MaxStackTraceChars = 16 * 1024;

    private readonly ConcurrentDictionary<RunKey, TaskEvent> _progress = new();
    private int _progressFlushPending;
    // Made once: each run passes itself as their state.
    private Action<object?>? _runOnThread;
    private SendOrPostCallback? _runOnLoop;
    private Action<object?, double, string?>? _reportProgress;

    private void Dispatch(Assignment assignment, int generation)
    {
        HopTrace.Mark("worker.received", assignment.TaskId);
        if (_draining)
        {
            // Leased before the coordinator saw the drain: handed back unstarted, like those held when it began.
            _outgoing.Writer.TryWrite(new Outgoing(OutgoingKind.Released, generation, Released: [assignment.TaskId]));
            return;
        }
        if (!_registry.TryGet(assignment.Name, out var handler))
        {
            Report(assignment, generation, slot: null, error: new InvalidOperationException($"No handler for task '{assignment.Name}' in this worker process."));
            return;
        }
        var run = new TaskRun(assignment, generation, handler);
        // Leased: this process holds the task until its result is sent or the lease is taken.
        // Keyed by attempt: a task leased again (its first lease expired) is a second run beside the first.
        if (!_running.TryAdd(run.Key, run))
        {
            run.Dispose();
            return; // the same lease delivered twice
        }
        if (_shutdown.IsCancellationRequested)
        {
            // Shutdown fires the token of every run it finds held; this one may have come after.
            run.Cancel();
        }
        run.Context = new TaskContext(assignment.TaskId, assignment.Name, assignment.Attempt, run.Interrupt.Token, _reportProgress ??= ReportProgress, run) { Queues = _queueInvoker ??= QueueInvoker };
        lock (_slots)
        {
            if (handler.Executor == Executor.ThreadPool)
            {
                _threadBusy++;
            }
            else
            {
                _coroutineBusy++;
            }
        }
        // Cached callbacks with the run as their state: queuing a run allocates nothing more.
        if (handler.Executor == Executor.ThreadPool)
        {
            _pool.Enqueue(_runOnThread ??= state => RunOnThread((TaskRun)state!), run);
        }
        else
        {
            _loop.Post(_runOnLoop ??= state => _ = RunOnLoopAsync((TaskRun)state!), run);
        }
    }

    /// <summary>Fires the token of every run this process holds: it is shutting down.</summary>
    private void InterruptAll()
    {
        foreach (var run in _running.Values)
        {
            run.Cancel();
        }
    }

    /// <summary>Runs a synchronous handler on this thread of the pool, in a service scope of its own when the worker has services.</summary>
    private void RunOnThread(TaskRun run)
    {
        var (handler, context) = (run.Handler, run.Context);
        if (!Start(run))
        {
            return;
        }
        using var telemetry = RunTelemetry.Begin(_logger, run.Assignment);
        var scope = BeginScope(context);
        byte[]? value = null;
        Exception? error = null;
        try
        {
            value = run.Assignment.Chunked ? handler.InvokeChunk(context, run.Assignment.Args.Span) : handler.Invoke(context, run.Assignment.Args.Span);
        }
        catch (Exception e)
        {
            telemetry.Failed(e);
            error = e;
        }
        try
        {
            // The run's scope ends before its result goes: whatever it held is released when the client sees the result.
            scope?.Dispose();
        }
        catch (Exception e)
        {
            error ??= e;
        }
        Finish(run, error is null ? value : null, error);
    }

    /// <summary>Runs an async handler on the coroutine loop, in a service scope of its own when the worker has services.</summary>
    private async Task RunOnLoopAsync(TaskRun run)
    {
        var (handler, context) = (run.Handler, run.Context);
        if (!Start(run))
        {
            return;
        }
        using var telemetry = RunTelemetry.Begin(_logger, run.Assignment);
        var scope = BeginScope(context);
        byte[]? value = null;
        Exception? error = null;
        try
        {
            value = run.Assignment.Chunked ? await handler.InvokeChunkAsync(context, run.Assignment.Args.Memory) : await handler.InvokeAsync(context, run.Assignment.Args.Memory);
        }
        catch (Exception e)
        {
            telemetry.Failed(e);
            error = e;
        }
        try
        {
            if (scope is { } ending)
            {
                await ending.DisposeAsync();
            }
        }
        catch (Exception e)
        {
            error ??= e;
        }
        Finish(run, error is null ? value : null, error);
    }

    /// <summary>A service scope for one run (its handler's services and module), when the worker is hosted with services.</summary>
    private AsyncServiceScope? BeginScope(TaskContext context)
    {
        if (_scopes is null)
        {
            return null;
        }
        var scope = _scopes.CreateAsyncScope();
        context.Services = scope.ServiceProvider;
        return scope;
    }

    /// <summary>Marks the run started (false if it was handed back first) and arms its hard timeout.</summary>
    private bool Start(TaskRun run)
    {
        if (!run.TryStart())
        {
            return false;
        }
        run.StartedAt = Stopwatch.GetTimestamp();
        HopTrace.Mark("worker.started", run.Assignment.TaskId);
        // Started notices wait for the next flush, which makes one for each run still running then
        // and not noticed yet: a task that finishes by then needs none, so short tasks cost no
        // notice at all.
        ScheduleFlush();
        if (run.Assignment.HardTimeoutMs > 0)
        {
            _ = HardTimeoutAsync(run);
        }
        return true;
    }

    /// <summary>
    /// Takes back a run that has not started: it will not run, and its slot is free at once.
    /// False when it has started (or ended) already.
    /// </summary>
    private bool Withdraw(TaskRun run)
    {
        if (!run.TryWithdraw() || !_running.TryRemove(new KeyValuePair<RunKey, TaskRun>(run.Key, run)))
        {
            return false;
        }
        lock (_slots)
        {
            FreeSlot(run.Executor);
        }
        run.Dispose();
        return true;
    }

    /// <summary>Fires the tokens of the runs of these tasks (a cancel with interrupt).</summary>
    private void Cancel(IEnumerable<string> taskIds)
    {
        var ids = taskIds.ToHashSet(StringComparer.Ordinal);
        foreach (var run in _running.Values)
        {
            if (ids.Contains(run.Assignment.TaskId))
            {
                run.Cancel();
            }
        }
    }

    /// <summary>
    /// The coordinator took the leases of these tasks from this connection: their runs stop (their
    /// tokens fire), and whatever they return is not sent. A run not yet started is dropped and its
    /// slot is free at once; a running one frees its slot when its handler returns.
    /// </summary>
    private void Revoke(IEnumerable<string> taskIds, int generation)
    {
        var ids = taskIds.ToHashSet(StringComparer.Ordinal);
        var stopped = 0;
        foreach (var run in _running.Values)
        {
            if (run.Generation != generation || !ids.Contains(run.Assignment.TaskId))
            {
                continue;
            }
            run.Revoke();
            if (Withdraw(run))
            {
                lock (_slots)
                {
                    AddCredit(run.Executor);
                }
            }
            else
            {
                stopped++;
            }
        }
        LogRevoked(ids.Count, stopped);
    }

    /// <summary>
    /// .NET cannot abort a thread: a handler still running at its hard timeout fails its attempt,
    /// and this process ends once that result is sent; the daemon starts a new one.
    /// </summary>
    private async Task HardTimeoutAsync(TaskRun run)
    {
        await Task.Delay(run.Assignment.HardTimeoutMs).ConfigureAwait(false);
        if (!_running.TryGetValue(run.Key, out var current) || !ReferenceEquals(current, run))
        {
            return;
        }
        if (!ExitOnHardTimeout)
        {
            // Hosted in an application's own process, which must go on: the task fails, the thread stays stuck.
            LogHardTimeoutKeptThread(run.Assignment.TaskId, run.Assignment.HardTimeoutMs);
            Finish(run, error: new HardTimeoutException($"Task {run.Assignment.TaskId} ran past its hard timeout of {run.Assignment.HardTimeoutMs} ms; its handler was abandoned."));
            return;
        }
        LogHardTimeout(run.Assignment.TaskId, run.Assignment.HardTimeoutMs);
        Finish(run, error: new HardTimeoutException($"Task {run.Assignment.TaskId} ran past its hard timeout of {run.Assignment.HardTimeoutMs} ms; its worker process was ended."));
        await FlushAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        // Let the sender finish its write of the result.
        await Task.Delay(200).ConfigureAwait(false);
        // At once, without exit handlers: a handler thread is stuck, and nothing here may wait on it.
        ExitNow(HardTimeoutExitCode);
    }

    /// <summary>Waits (bounded) until the send loop has taken everything queued for the coordinator.</summary>
    private async Task FlushAsync(TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (_outgoing.Reader.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    private void Finish(TaskRun run, byte[]? value = null, Exception? error = null)
    {
        if (!_running.TryRemove(new KeyValuePair<RunKey, TaskRun>(run.Key, run)))
        {
            return; // reported already (a hard timeout)
        }
        if (error is OperationCanceledException && run.TimedOut)
        {
            error = new TimeoutException($"Task {run.Assignment.TaskId} ran past its soft timeout of {run.Assignment.SoftTimeoutMs} ms.");
        }
        var cancelled = error is OperationCanceledException && run.Interrupt.IsCancellationRequested;
        var limit = Volatile.Read(ref _maxResultBytes);
        if (value is not null && value.Length > limit)
        {
            // Sent, it would be refused (or break the stream): the task fails with the reason instead.
            error = new ResultTooLargeException(run.Assignment.TaskId, value.Length, limit);
            value = null;
        }
        run.Dispose();
        _progress.TryRemove(run.Key, out _);
        lock (_slots)
        {
            // Only a result of the live connection is sent, and it brings its slot's credit; any
            // other frees its slot now (the connection that leased it is gone, or its lease was taken).
            if (!run.Revoked && run.Generation == _liveGeneration)
            {
                // Queued before the slot frees, so a drain that finds every slot free finds the result queued.
                Report(run.Assignment, run.Generation, run.Executor, value, cancelled ? null : error, cancelled);
            }
            else
            {
                AddCredit(run.Executor);
            }
            if (run.Executor == Executor.ThreadPool && run.StartedAt != 0)
            {
                _window.Ran(Stopwatch.GetTimestamp() - run.StartedAt, run.Assignment.Args.Length);
            }
            FreeSlot(run.Executor);
        }
    }

    /// <summary>A run of this kind no longer holds its slot; the last one out wakes a drain. Under the slots lock.</summary>
    private void FreeSlot(Executor executor)
    {
        if (executor == Executor.ThreadPool)
        {
            _threadBusy--;
        }
        else
        {
            _coroutineBusy--;
        }
        if (_threadBusy + _coroutineBusy == 0)
        {
            _idle.TrySetResult();
        }
    }

    /// <summary>A slot of this kind is free, and no result brings its credit: the next message announces it. Under the slots lock.</summary>
    private void AddCredit(Executor executor)
    {
        if (executor == Executor.ThreadPool)
        {
            _threadCredits++;
        }
        else
        {
            _coroutineCredits++;
        }
    }

    private void Report(Assignment assignment, int generation, Executor? slot, byte[]? value = null, Exception? error = null, bool cancelled = false)
    {
        var result = new TaskResult { TaskId = assignment.TaskId, Session = assignment.Session, Attempt = assignment.Attempt };
        if (cancelled)
        {
            result.Cancelled = new Cancelled();
        }
        else if (error is not null)
        {
            result.Error = new TaskError
            {
                Type = error switch
                {
                    HardTimeoutException => HardTimeoutException.RemoteType,
                    ResultTooLargeException => ResultTooLargeException.RemoteType,
                    _ => error.GetType().FullName ?? error.GetType().Name,
                },
                Message = Cut(error.Message, MaxErrorMessageChars),
                StackTrace = Cut(error.StackTrace ?? string.Empty, MaxStackTraceChars),
                Attempt = assignment.Attempt,
            };
        }
        else
        {
            result.Value = UnsafeByteOperations.UnsafeWrap(value ?? "null"u8.ToArray());
        }
        HopTrace.Mark("worker.finished", assignment.TaskId);
        _outgoing.Writer.TryWrite(new Outgoing(OutgoingKind.Result, generation, result, slot));
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");

    private static TaskEvent Event(Assignment assignment, bool started) => new()
    {
        TaskId = assignment.TaskId,
        Session = assignment.Session,
        Attempt = assignment.Attempt,
        Started = started ? new Started() : null,
    };

    private void ReportProgress(object? state, double fraction, string? note) => OnProgress((TaskRun)state!, fraction, note);

    /// <summary>Keeps the latest report per run; the next flush sends what is there.</summary>
    private void OnProgress(TaskRun run, double fraction, string? note)
    {
        var e = Event(run.Assignment, started: false);
        e.Progress = new Progress { Fraction = fraction, Message = Cut(note ?? string.Empty, MaxProgressNoteChars) };
        _progress[run.Key] = e;
        ScheduleFlush();
    }

    /// <summary>At most one flush of notices per interval, and at most one waiting to be sent, however many tasks start or report.</summary>
    private void ScheduleFlush()
    {
        if (Interlocked.Exchange(ref _progressFlushPending, 1) == 0)
        {
            // The sender clears the flag when it takes the marker.
            _ = Task.Delay(NoticeInterval).ContinueWith(_ => _outgoing.Writer.TryWrite(Outgoing.Notices), TaskScheduler.Default);
        }
    }
}
