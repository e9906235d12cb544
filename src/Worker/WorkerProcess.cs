using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Cluster.Contracts;
using Cluster.Protocol.V1;
using Cluster.Worker.Internal;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cluster.Worker;

/// <summary>
/// One worker process: a stream to the coordinator, a bounded thread pool for synchronous handlers
/// and a coroutine loop for async ones. It asks for as many tasks as it has free slots (credits),
/// sends results in batches and heartbeats from a thread of its own.
/// </summary>
/// <remarks>
/// This file holds the connection (dial, hello, reconnect, drain); the runs (one task's lifetime,
/// keyed by task and attempt) are in WorkerProcess.Runs.cs, the batched sender in WorkerProcess.Send.cs.
/// </remarks>
public sealed partial class WorkerProcess : IDisposable
{
    /// <summary>The exit code of a worker process ended by a hard timeout.</summary>
    public const int HardTimeoutExitCode = 75;

    private readonly WorkerOptions _options;
    private readonly TaskRegistry _registry;
    private readonly ILogger _logger;
    private readonly BoundedThreadPool _pool;
    private readonly CoroutineLoop _loop;
    // With services (a worker hosted with dependency injection): one scope per run.
    private readonly IServiceScopeFactory? _scopes;
    // Everything for the coordinator, read by the send loop of the live connection. Its bound is
    // explicit though the channel is not: it holds at most one result per slot of the live
    // connection (a result enters only while its run's connection is live, and its slot's credit
    // goes back only when the sender takes it into a message, so the coordinator leases nothing
    // new meanwhile), each result at most the result limit in bytes, plus at most one heartbeat,
    // one notices marker and one drain item. Results of a connection that ended are not queued
    // (their lease was handed back with the stream) and those queued before it ended are dropped
    // by the next sender. Not SingleReader: that variant cannot Count, and drain and hard timeout
    // wait for it to empty.
    private readonly Channel<Outgoing> _outgoing = Channel.CreateUnbounded<Outgoing>();
    private readonly ConcurrentDictionary<RunKey, TaskRun> _running = new();
    private TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Lock _slots = new();
    // Thread-pool tasks held and asked for at once: follows the run time of the recent tasks.
    private readonly LeaseWindow _window;
    private readonly int _coroutineSlots;
    private int _threadBusy;
    private int _coroutineBusy;
    // Slots freed by runs whose result is not sent (another connection's, revoked, handed back):
    // announced with the next message. A sent result brings its own slot's credit.
    private int _threadCredits;
    private int _coroutineCredits;
    private int _generation;
    // The generation of the connection that is up now; 0 between connections.
    private int _liveGeneration;
    private long _heartbeatIntervalMs = 1000;
    private int _heartbeatPending;
    private int _maxResultBytes = WireLimits.MaxPayloadBytes;

    /// <summary>A worker process for the handlers of <paramref name="registry"/>; it connects when <see cref="RunAsync"/> is called.</summary>
    /// <param name="options">The settings; validated here.</param>
    /// <param name="registry">The handlers; at least one.</param>
    /// <param name="logger">Connection, drain and handler-failure logs. Default: none.</param>
    /// <exception cref="ArgumentException">A setting is out of range or a TLS file is bad (the message names it), or the registry is empty.</exception>
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
        _scopes = registry.Services?.GetService<IServiceScopeFactory>();
        _window = new LeaseWindow(options.Threads, options.PrefetchPerThread);
        _coroutineSlots = options.Coroutines;
        _metrics = new Internal.Telemetry.WorkerMetrics(SlotUse);
        // Shutting down fires the token of every run held (the runs' tokens are not linked to this one).
        _shutdown.Token.Register(static process => ((WorkerProcess)process!).InterruptAll(), this);
    }

    private readonly Internal.Telemetry.WorkerMetrics _metrics;

    private (int ThreadBusy, int ThreadTotal, int CoroutineBusy, int CoroutineTotal) SlotUse()
    {
        lock (_slots)
        {
            return (_threadBusy, _window.Target, _coroutineBusy, _coroutineSlots);
        }
    }

    // Set once a drain has let its last results go: the stream then ends and is not dialled again.
    private volatile bool _drained;
    // Set when a drain begins: a task that arrives after it is handed back, never started.
    private volatile bool _draining;

    private int _address;

    /// <summary>This library's version as the worker's hello declares it (the informational version, without a source revision).</summary>
    private static readonly string Version = typeof(WorkerProcess).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
        .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0]
        ?? typeof(WorkerProcess).Assembly.GetName().Version?.ToString() ?? string.Empty;

    private Uri Address => _options.Addresses[_address % _options.Addresses.Count];

    /// <summary>
    /// Whether a handler still running at its hard timeout ends this process (the daemon starts a new
    /// one). A worker hosted in an application's own process does not end it: the stuck handler keeps
    /// its thread, and its task fails all the same. Default: true.
    /// </summary>
    internal bool ExitOnHardTimeout { get; init; } = true;

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
        var running = RunUntilAsync(stop.Token);
        using var drain = cancellationToken.Register(() => _ = DrainThenStopAsync(stop, running));
        await running.ConfigureAwait(false);
    }

    private async Task DrainThenStopAsync(CancellationTokenSource stop, Task running)
    {
        try
        {
            _draining = true;
            var released = new List<string>();
            foreach (var run in _running.Values)
            {
                if (Withdraw(run))
                {
                    released.Add(run.Assignment.TaskId);
                }
            }
            _outgoing.Writer.TryWrite(new Outgoing(OutgoingKind.Released, Volatile.Read(ref _generation), Released: released));
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
            // The last results go out, then the request stream ends: the coordinator commits all it
            // read before it ends the call (and requeues whatever is still held), so none runs twice.
            _drained = true;
            _outgoing.Writer.TryWrite(Outgoing.Close);
            await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task RunUntilAsync(CancellationToken cancellationToken)
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), _options.MaxReconnectDelay);
        while (!cancellationToken.IsCancellationRequested && !_drained)
        {
            var started = DateTime.UtcNow;
            try
            {
                await RunConnectionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Aborted && !cancellationToken.IsCancellationRequested)
            {
                // Not a crash: the coordinator took this connection's leases (its heartbeats had
                // stopped for longer than the lease) and ended the stream. Connect again soon, to the
                // same coordinator, under a new worker id.
                LogLeasesTaken(Address, e.Status.Detail);
                backoff.Reset();
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
            if (_drained)
            {
                break; // the drain ended the stream: no new connection
            }
            if (DateTime.UtcNow - started > TimeSpan.FromSeconds(10))
            {
                backoff.Reset(); // a connection that lasted starts the waits over
            }
            try
            {
                await Task.Delay(backoff.Next(), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        await _shutdown.CancelAsync().ConfigureAwait(false);
    }

    private async Task RunConnectionAsync(CancellationToken cancellationToken)
    {
        using var channel = ClusterChannel.Create(Address, _options.Security);
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
            ThreadSlots = _window.Capacity,
            Version = Version,
        };
        hello.Queues.AddRange(_options.Queues);
        hello.Handlers.AddRange(_registry.Handlers.Select(h => new HandlerInfo
        {
            Name = h.Name,
            Kind = h.Executor == Executor.ThreadPool ? ExecutionKind.ThreadPool : ExecutionKind.Coroutine,
            Policy = h.Policy.ToWire(),
        }));
        var first = new WorkerMessage { Hello = hello };
        // Until this connection's welcome says otherwise, results are held to the wire's bound.
        Volatile.Write(ref _maxResultBytes, WireLimits.MaxPayloadBytes);
        lock (_slots)
        {
            // A new connection starts from the slots free now (set explicitly: a process still busy
            // with runs of an earlier connection has fewer than its capacity); slots freed later
            // are announced as credits.
            first.ThreadCredits = _window.FirstGrant(_threadBusy);
            first.CoroutineCredits = _coroutineSlots - _coroutineBusy;
            _threadCredits = 0;
            _coroutineCredits = 0;
            _liveGeneration = generation;
        }
        try
        {
            await call.RequestStream.WriteAsync(first, connection.Token).ConfigureAwait(false);
            WorkerId = hello.WorkerId;
            LogConnected(hello.WorkerId, Address);

            var sender = SendLoopAsync(call.RequestStream, generation, connection.Token);
            using var heartbeat = new HeartbeatThread(this, connection.Token);
            try
            {
                await foreach (var message in call.ResponseStream.ReadAllAsync(connection.Token).ConfigureAwait(false))
                {
                    if (message.Welcome is { } welcome)
                    {
                        Welcome(welcome);
                    }
                    foreach (var assignment in message.Assignments)
                    {
                        Dispatch(assignment, generation);
                    }
                    if (message.Cancel.Count > 0)
                    {
                        Cancel(message.Cancel);
                    }
                    if (message.Revoked.Count > 0)
                    {
                        Revoke(message.Revoked, generation);
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
        finally
        {
            lock (_slots)
            {
                // From here on, results of this connection's runs are not queued: their leases went back with the stream.
                _liveGeneration = 0;
            }
        }
    }

    private void Welcome(Welcome welcome)
    {
        if (welcome.HeartbeatIntervalMs > 0)
        {
            Interlocked.Exchange(ref _heartbeatIntervalMs, welcome.HeartbeatIntervalMs);
        }
        if (welcome.MaxResultBytes > 0)
        {
            Volatile.Write(ref _maxResultBytes, Math.Min(welcome.MaxResultBytes, WireLimits.MaxPayloadBytes));
        }
    }

    /// <summary>
    /// Stops the thread pool and the coroutine loop at once, without a drain: stop with the token of
    /// <see cref="RunAsync"/> first (and await it) to let running tasks finish.
    /// </summary>
    public void Dispose()
    {
        _shutdown.Cancel();
        _metrics.Dispose();
        _pool.Dispose();
        _loop.Dispose();
        DisposeQueueChannel();
        _shutdown.Dispose();
    }

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
                    // At most one waits in the queue: a stalled stream does not pile them up.
                    if (Interlocked.Exchange(ref owner._heartbeatPending, 1) == 0)
                    {
                        owner._outgoing.Writer.TryWrite(Outgoing.Heartbeat);
                    }
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
}
