using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Cluster.Contracts;
using Cluster.Protocol.V1;
using Cluster.Worker.Internal;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cluster.Worker;

/// <summary>
/// One worker process: a stream to the coordinator, a bounded thread pool for synchronous handlers
/// and a coroutine loop for async ones. It asks for as many tasks as it has free slots (credits),
/// sends results in batches and heartbeats from a thread of its own.
/// </summary>
public sealed partial class WorkerProcess : IDisposable
{
    private const int MaxResultsPerMessage = 1024;

    /// <summary>The exit code of a worker process ended by a hard timeout.</summary>
    public const int HardTimeoutExitCode = 75;
    /// <summary>How long started and progress notices are held to coalesce them. Default: 25 ms.</summary>
    private static readonly TimeSpan NoticeInterval = TimeSpan.FromMilliseconds(25);
    private static readonly TaskEvent ProgressMarker = new();

    private readonly WorkerOptions _options;
    private readonly TaskRegistry _registry;
    private readonly ILogger _logger;
    private readonly BoundedThreadPool _pool;
    private readonly CoroutineLoop _loop;
    // Not SingleReader: that variant cannot Count, and drain and hard timeout wait for it to empty.
    private readonly Channel<Outgoing> _outgoing = Channel.CreateUnbounded<Outgoing>();
    private readonly ConcurrentDictionary<string, TaskRun> _running = new(StringComparer.Ordinal);
    private TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Lock _slots = new();
    private readonly int _threadSlots;
    private readonly int _coroutineSlots;
    private int _threadBusy;
    private int _coroutineBusy;
    private int _threadCredits;
    private int _coroutineCredits;
    private int _generation;
    private long _heartbeatIntervalMs = 1000;
    private readonly ConcurrentDictionary<string, TaskEvent> _progress = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskEvent> _started = new(StringComparer.Ordinal);
    private int _progressFlushPending;

    public WorkerProcess(WorkerOptions options, TaskRegistry registry, ILogger<WorkerProcess>? logger = null)
    {
        options.Validate();
        if (registry.Names.Count == 0)
        {
            throw new ArgumentException("The task registry is empty: register at least one handler.", nameof(registry));
        }
        _options = options;
        _registry = registry;
        _logger = logger ?? NullLogger<WorkerProcess>.Instance;
        _pool = new BoundedThreadPool(options.Threads);
        _loop = new CoroutineLoop();
        _threadSlots = options.Threads * (1 + options.PrefetchPerThread);
        _coroutineSlots = options.Coroutines;
    }

    private int _address;

    private Uri Address => _options.Addresses[_address % _options.Addresses.Count];

    /// <summary>Id of the current connection, as the coordinator knows this process; null when not connected.</summary>
    public string? WorkerId { get; private set; }

    /// <summary>
    /// Connects, and reconnects with backoff, until the token fires; then drains: takes no new
    /// tasks, hands back those not started, lets running ones finish within the grace period,
    /// and leaves (the coordinator requeues whatever is still held).
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stop = new CancellationTokenSource();
        using var drain = cancellationToken.Register(() => _ = DrainThenStopAsync(stop));
        await RunUntilAsync(stop.Token).ConfigureAwait(false);
    }

    private async Task DrainThenStopAsync(CancellationTokenSource stop)
    {
        try
        {
            var released = new List<string>();
            foreach (var run in _running.Values)
            {
                if (run.TryWithdraw() && _running.TryRemove(new KeyValuePair<string, TaskRun>(run.Assignment.TaskId, run)))
                {
                    released.Add(run.Assignment.TaskId);
                    lock (_slots)
                    {
                        if (run.Executor == Executor.ThreadPool)
                        {
                            _threadBusy--;
                        }
                        else
                        {
                            _coroutineBusy--;
                        }
                    }
                    run.Dispose();
                }
            }
            _outgoing.Writer.TryWrite(new Outgoing(null, Volatile.Read(ref _generation), null, released));
            LogDraining(released.Count, _running.Count, _options.DrainGrace);
            Task idle;
            lock (_slots)
            {
                _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_threadBusy + _coroutineBusy == 0)
                {
                    _idle.TrySetResult();
                }
                idle = _idle.Task;
            }
            try
            {
                await idle.WaitAsync(_options.DrainGrace).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Past the grace period: fire every handler's token and give them a moment.
                await _shutdown.CancelAsync().ConfigureAwait(false);
                await Task.WhenAny(idle, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
            }
            // Let the last results go out before the stream closes.
            await FlushAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task RunUntilAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = DateTime.UtcNow;
            try
            {
                await RunConnectionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                LogConnectionLost(Address, e.Message);
                // The next connection goes to the next coordinator, if there are several.
                _address++;
            }
            catch (Exception)
            {
                break; // stopping
            }
            WorkerId = null;
            if (DateTime.UtcNow - started > TimeSpan.FromSeconds(10))
            {
                delay = TimeSpan.FromMilliseconds(100);
            }
            try
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
        }
        await _shutdown.CancelAsync().ConfigureAwait(false);
    }

    private async Task RunConnectionAsync(CancellationToken cancellationToken)
    {
        using var channel = ClusterChannel.Create(Address);
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var call = new Workers.WorkersClient(channel).Connect(cancellationToken: connection.Token);

        var generation = Interlocked.Increment(ref _generation);
        var hello = new Hello
        {
            WorkerId = $"{Dns.GetHostName()}-{Environment.ProcessId}-{generation}-{Guid.NewGuid().ToString("N")[..6]}",
            Host = Dns.GetHostName(),
            ProcessId = Environment.ProcessId,
            Threads = _options.Threads,
            Coroutines = _options.Coroutines,
            ThreadSlots = _threadSlots,
        };
        hello.Handlers.AddRange(_registry.Handlers.Select(h => new HandlerInfo
        {
            Name = h.Name,
            Kind = h.Executor == Executor.ThreadPool ? ExecutionKind.ThreadPool : ExecutionKind.Coroutine,
            Policy = h.Policy.ToWire(),
        }));
        var first = new WorkerMessage { Hello = hello };
        lock (_slots)
        {
            // A new connection starts from the slots free now; slots freed later are announced as credits.
            first.ThreadCredits = _threadSlots - _threadBusy;
            first.CoroutineCredits = _coroutineSlots - _coroutineBusy;
            _threadCredits = 0;
            _coroutineCredits = 0;
        }
        await call.RequestStream.WriteAsync(first, connection.Token).ConfigureAwait(false);
        WorkerId = hello.WorkerId;
        LogConnected(hello.WorkerId, Address);

        var sender = SendLoopAsync(call.RequestStream, generation, connection.Token);
        using var heartbeat = new HeartbeatThread(this, connection.Token);
        try
        {
            await foreach (var message in call.ResponseStream.ReadAllAsync(connection.Token).ConfigureAwait(false))
            {
                if (message.Welcome is { } welcome && welcome.HeartbeatIntervalMs > 0)
                {
                    Interlocked.Exchange(ref _heartbeatIntervalMs, welcome.HeartbeatIntervalMs);
                }
                foreach (var assignment in message.Assignments)
                {
                    Dispatch(assignment, generation);
                }
                foreach (var id in message.Cancel)
                {
                    if (_running.TryGetValue(id, out var run))
                    {
                        run.Interrupt.Cancel();
                    }
                }
            }
        }
        finally
        {
            await connection.CancelAsync().ConfigureAwait(false);
            try
            {
                await sender.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or RpcException or IOException or InvalidOperationException)
            {
            }
        }
    }

    private void Dispatch(Assignment assignment, int generation)
    {
        HopTrace.Mark("worker.received", assignment.TaskId);
        if (!_registry.TryGet(assignment.Name, out var handler))
        {
            Report(assignment, generation, error: new InvalidOperationException($"No handler for task '{assignment.Name}' in this worker process."));
            return;
        }
        var run = new TaskRun(assignment, generation, handler.Executor, _shutdown.Token);
        _running[assignment.TaskId] = run;
        var context = new TaskContext(assignment.TaskId, assignment.Name, assignment.Attempt, run.Interrupt.Token, (fraction, note) => OnProgress(assignment, generation, fraction, note));
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
        if (handler.Executor == Executor.ThreadPool)
        {
            _pool.Enqueue(() =>
            {
                if (!Start(run))
                {
                    return;
                }
                try
                {
                    var value = assignment.Chunked ? handler.InvokeChunk(context, assignment.Args.Span) : handler.Invoke(context, assignment.Args.Span);
                    Finish(run, value: value);
                }
                catch (Exception e)
                {
                    Finish(run, error: e);
                }
            });
        }
        else
        {
            _loop.Start(async () =>
            {
                if (!Start(run))
                {
                    return;
                }
                try
                {
                    var value = assignment.Chunked ? await handler.InvokeChunkAsync(context, assignment.Args.Memory) : await handler.InvokeAsync(context, assignment.Args.Memory);
                    Finish(run, value: value);
                }
                catch (Exception e)
                {
                    Finish(run, error: e);
                }
            });
        }
    }

    /// <summary>Marks the run started (false if a drain handed it back first) and arms its hard timeout.</summary>
    private bool Start(TaskRun run)
    {
        if (!run.TryStart())
        {
            return false;
        }
        HopTrace.Mark("worker.started", run.Assignment.TaskId);
        // Started notices wait for the next flush: a task that finishes by then needs none, so
        // short tasks cost no notice at all.
        _started[run.Assignment.TaskId] = Event(run.Assignment, started: true);
        ScheduleFlush(run.Generation);
        if (run.Assignment.HardTimeoutMs > 0)
        {
            _ = HardTimeoutAsync(run);
        }
        return true;
    }

    /// <summary>
    /// .NET cannot abort a thread: a handler still running at its hard timeout fails its attempt,
    /// and this process ends once that result is sent; the daemon starts a new one.
    /// </summary>
    private async Task HardTimeoutAsync(TaskRun run)
    {
        await Task.Delay(run.Assignment.HardTimeoutMs).ConfigureAwait(false);
        if (!_running.TryGetValue(run.Assignment.TaskId, out var current) || !ReferenceEquals(current, run))
        {
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
        if (!_running.TryRemove(new KeyValuePair<string, TaskRun>(run.Assignment.TaskId, run)))
        {
            return; // reported already (a hard timeout)
        }
        if (error is OperationCanceledException && run.TimedOut)
        {
            error = new TimeoutException($"Task {run.Assignment.TaskId} ran past its soft timeout of {run.Assignment.SoftTimeoutMs} ms.");
        }
        var cancelled = error is OperationCanceledException && run.Interrupt.IsCancellationRequested;
        run.Dispose();
        _progress.TryRemove(run.Assignment.TaskId, out _);
        _started.TryRemove(run.Assignment.TaskId, out _);
        lock (_slots)
        {
            if (run.Executor == Executor.ThreadPool)
            {
                _threadBusy--;
                _threadCredits++;
            }
            else
            {
                _coroutineBusy--;
                _coroutineCredits++;
            }
            if (_threadBusy + _coroutineBusy == 0)
            {
                _idle.TrySetResult();
            }
        }
        Report(run.Assignment, run.Generation, value, cancelled ? null : error, cancelled);
    }

    private void Report(Assignment assignment, int generation, byte[]? value = null, Exception? error = null, bool cancelled = false)
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
                Type = error is HardTimeoutException ? HardTimeoutException.RemoteType : error.GetType().FullName ?? error.GetType().Name,
                Message = error.Message,
                StackTrace = error.StackTrace ?? string.Empty,
                Attempt = assignment.Attempt,
            };
        }
        else
        {
            result.Value = UnsafeByteOperations.UnsafeWrap(value ?? "null"u8.ToArray());
        }
        HopTrace.Mark("worker.finished", assignment.TaskId);
        _outgoing.Writer.TryWrite(new Outgoing(result, generation, null));
    }

    private static TaskEvent Event(Assignment assignment, bool started) => new()
    {
        TaskId = assignment.TaskId,
        Session = assignment.Session,
        Attempt = assignment.Attempt,
        Started = started ? new Started() : null,
    };

    /// <summary>Keeps the latest report per task; the next flush sends what is there.</summary>
    private void OnProgress(Assignment assignment, int generation, double fraction, string? note)
    {
        var e = Event(assignment, started: false);
        e.Progress = new Progress { Fraction = fraction, Message = note ?? string.Empty };
        _progress[assignment.TaskId] = e;
        ScheduleFlush(generation);
    }

    /// <summary>At most one flush of notices per interval, however many tasks start or report.</summary>
    private void ScheduleFlush(int generation)
    {
        if (Interlocked.Exchange(ref _progressFlushPending, 1) == 0)
        {
            _ = Task.Delay(NoticeInterval).ContinueWith(_ =>
            {
                Volatile.Write(ref _progressFlushPending, 0);
                _outgoing.Writer.TryWrite(new Outgoing(null, generation, ProgressMarker));
            }, TaskScheduler.Default);
        }
    }

    private async Task SendLoopAsync(IClientStreamWriter<WorkerMessage> stream, int generation, CancellationToken cancellationToken)
    {
        var reader = _outgoing.Reader;
        var events = new List<TaskEvent>();
        var finished = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var message = new WorkerMessage();
            events.Clear();
            finished.Clear();
            while (message.Results.Count < MaxResultsPerMessage && reader.TryRead(out var item))
            {
                if (item.Released is not null)
                {
                    message.Draining = true;
                    if (item.Generation == generation)
                    {
                        message.Released.AddRange(item.Released);
                    }
                }
                else if (item.Result is null && item.Event is null)
                {
                    message.Heartbeat = new Heartbeat();
                }
                else if (item.Generation != generation)
                {
                    // Of an earlier connection: that lease was handed back when the stream broke.
                }
                else if (item.Result is not null)
                {
                    message.Results.Add(item.Result);
                    finished.Add(item.Result.TaskId);
                }
                else if (ReferenceEquals(item.Event, ProgressMarker))
                {
                    foreach (var id in _started.Keys)
                    {
                        if (_started.TryRemove(id, out var started))
                        {
                            events.Add(started);
                        }
                    }
                    foreach (var id in _progress.Keys)
                    {
                        if (_progress.TryRemove(id, out var progress))
                        {
                            events.Add(progress);
                        }
                    }
                }
                else
                {
                    events.Add(item.Event!);
                }
            }
            // Coalesced: a task that finished within this message needs no started or progress notice.
            message.Events.AddRange(events.Where(e => !finished.Contains(e.TaskId)));
            lock (_slots)
            {
                message.ThreadCredits = _threadCredits;
                message.CoroutineCredits = _coroutineCredits;
                _threadCredits = 0;
                _coroutineCredits = 0;
            }
            if (message.Results.Count > 0 || message.Events.Count > 0 || message.Heartbeat is not null || message.Draining || message.ThreadCredits > 0 || message.CoroutineCredits > 0)
            {
                HopTrace.MarkEach("worker.sent", message.Results, static r => r.TaskId);
                await stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void Dispose()
    {
        _shutdown.Cancel();
        _pool.Dispose();
        _loop.Dispose();
        _shutdown.Dispose();
    }

    /// <summary>A result, a notice, a drain (with the tasks handed back), or (none of them) a heartbeat.</summary>
    private sealed record Outgoing(TaskResult? Result, int Generation, TaskEvent? Event, IReadOnlyList<string>? Released = null);

    /// <summary>Heartbeats from a thread of its own, so a saturated thread pool cannot silence them.</summary>
    private sealed class HeartbeatThread : IDisposable
    {
        private readonly ManualResetEventSlim _stop = new();
        private readonly Thread _thread;

        public HeartbeatThread(WorkerProcess owner, CancellationToken cancellationToken)
        {
            _thread = new Thread(() =>
            {
                while (!_stop.Wait(TimeSpan.FromMilliseconds(Interlocked.Read(ref owner._heartbeatIntervalMs))) && !cancellationToken.IsCancellationRequested)
                {
                    owner._outgoing.Writer.TryWrite(new Outgoing(null, 0, null));
                }
            })
            { IsBackground = true, Name = "cluster-heartbeat" };
            _thread.Start();
        }

        public void Dispose()
        {
            _stop.Set();
            _thread.Join();
            _stop.Dispose();
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "_exit")]
    private static partial void ExitNow(int code);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Draining: {Released} unstarted tasks handed back, {Running} running get up to {Grace} to finish")]
    private partial void LogDraining(int released, int running, TimeSpan grace);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "Task {TaskId} ran past its hard timeout of {HardTimeoutMs} ms; ending this worker process")]
    private partial void LogHardTimeout(string taskId, int hardTimeoutMs);

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Connected to {Coordinator} as {WorkerId}")]
    private partial void LogConnected(string workerId, Uri coordinator);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Connection to {Coordinator} lost: {Reason}; reconnecting")]
    private partial void LogConnectionLost(Uri coordinator, string reason);
}
