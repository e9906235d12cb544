using System.Collections.Concurrent;
using System.Security.Cryptography;
using Cluster.Client.Internal;
using System.Text.Json;
using System.Threading.Channels;
using Cluster.Contracts;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cluster.Client;

/// <summary>
/// Submits tasks to the cluster and hands out futures, as <c>concurrent.futures.Executor</c>.
/// Submits that arrive close together travel as one batch; every future resolves from this
/// executor's own stream of completions.
/// </summary>
public sealed partial class ClusterExecutor : IClusterExecutor
{
    private static readonly TimeSpan AckInterval = TimeSpan.FromMilliseconds(50);
    // An acknowledgement is retried at the next tick: one call never waits longer than this.
    private static readonly TimeSpan AckDeadline = TimeSpan.FromSeconds(5);
    // What a task costs against MaxPendingBytes besides its arguments: its future and its message.
    private const int TaskOverheadBytes = 256;

    private readonly ClusterExecutorOptions _options;
    private readonly ILogger _logger;
    private readonly GrpcChannel[] _channels;
    private readonly string[] _addresses;
    private readonly Protocol.V1.Tasks.TasksClient[] _clients;
    // Null for a dns:/// address: there a call per batch, so that calls spread over the name's coordinators.
    private readonly SubmitStream?[] _submitStreams;
    private int _current;
    private readonly Channel<ClusterFuture> _submits = Channel.CreateUnbounded<ClusterFuture>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, ClusterFuture> _futures = new(StringComparer.Ordinal);
    private readonly PendingBytes _pending;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _inFlight;
    private readonly Task _submitLoop;
    private readonly Task _completionLoop;
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _stopLock = new();
    private readonly Dictionary<string, ClusterFuture> _keyed = new(StringComparer.Ordinal);
    private Task? _stopped;
    private long _sequence;
    private long _lastSeq;
    private long _ackedSeq;
    private int _shutdown;

    /// <summary>An executor on one coordinator; it connects in the background, so this returns at once.</summary>
    /// <param name="address">The coordinator, e.g. http://127.0.0.1:5050.</param>
    /// <param name="options">Bounds, security and logging. Default: <see cref="ClusterExecutorOptions"/>'s defaults.</param>
    /// <exception cref="ArgumentException">The address is not an http:// or https:// URL, or an option is out of range (the message names it).</exception>
    public ClusterExecutor(string address, ClusterExecutorOptions? options = null)
        : this([address], options)
    {
    }

    /// <summary>An executor on several coordinators of one cluster; it connects in the background, so this returns at once.</summary>
    /// <param name="addresses">Coordinators of one cluster (they share its store): when the one in use
    /// is unavailable, the executor moves on to the next, and resumes its completions there.</param>
    /// <param name="options">Bounds, security and logging. Default: <see cref="ClusterExecutorOptions"/>'s defaults.</param>
    /// <exception cref="ArgumentException">No address is given, one is not an http://, https:// or dns:/// address, or an option is out of range (the message names it).</exception>
    public ClusterExecutor(IEnumerable<string> addresses, ClusterExecutorOptions? options = null)
    {
        var uris = ParseAddresses(addresses);
        _options = options ?? new ClusterExecutorOptions();
        _options.Validate();
        _logger = _options.LoggerFactory?.CreateLogger<ClusterExecutor>() ?? NullLogger<ClusterExecutor>.Instance;
        var security = _options.Security;
        _channels = [.. uris.Select(u => ClusterChannel.Create(u, security))];
        _addresses = [.. uris.Select(u => u.Scheme == ClusterChannel.DnsScheme ? u.OriginalString : u.GetLeftPart(UriPartial.Authority))];
        _pending = new PendingBytes(_options.MaxPendingBytes);
        _clients = [.. _channels.Select(c => new Protocol.V1.Tasks.TasksClient(c))];
        _submitStreams = [.. uris.Select((u, i) => u.Scheme == ClusterChannel.DnsScheme ? null : new SubmitStream(_clients[i]))];
        _inFlight = new SemaphoreSlim(_options.MaxBatchesInFlight);
        SessionId = Guid.NewGuid().ToString("N")[..16];
        // Task ids travel to workers and into logs: they do not reveal the session (a name that
        // reads its completions), only a random prefix of their own.
        TaskIdPrefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        _submitLoop = Task.Run(SubmitLoopAsync);
        _completionLoop = Task.Run(CompletionLoopAsync);
    }

    /// <summary>Creates an executor for the coordinators in <see cref="ClusterExecutorOptions.Addresses"/>.</summary>
    /// <exception cref="ArgumentException">No address, an address that is not http://, https:// or dns:///, or a setting out of range.</exception>
    public ClusterExecutor(ClusterExecutorOptions options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Addresses, options)
    {
    }

    /// <summary>Reads coordinator addresses; throws <see cref="ArgumentException"/> naming the first that is not one.</summary>
    internal static List<Uri> ParseAddresses(IEnumerable<string> addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var uris = new List<Uri>();
        foreach (var address in addresses)
        {
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || !ClusterChannel.IsAddress(uri))
            {
                throw new ArgumentException($"'{address}' is not a coordinator address: give {ClusterChannel.AddressForms}.", nameof(addresses));
            }
            uris.Add(uri);
        }
        if (uris.Count == 0)
        {
            throw new ArgumentException("Give at least one coordinator address.", nameof(addresses));
        }
        return uris;
    }

    /// <summary>Recurring tasks: schedules that submit a task per tick of a cron expression, once across the cluster.</summary>
    public IClusterSchedules Schedules => _schedules ??= new Internal.ClusterSchedules(_channels, () => CurrentIndex);

    private IClusterSchedules? _schedules;

    /// <summary>The coordinator in use.</summary>
    private Protocol.V1.Tasks.TasksClient Client => _clients[CurrentIndex];

    private int CurrentIndex => Volatile.Read(ref _current) % _clients.Length;

    /// <summary>Moves on to the next coordinator after <paramref name="failed"/> proved unavailable (once per failure, however many callers saw it).</summary>
    private void Failover(Protocol.V1.Tasks.TasksClient failed)
    {
        var current = Volatile.Read(ref _current);
        if (_clients.Length > 1 && ReferenceEquals(_clients[current % _clients.Length], failed))
        {
            Interlocked.CompareExchange(ref _current, current + 1, current);
        }
    }

    /// <summary>This executor's session: the coordinator streams it the completions of its own tasks only.</summary>
    public string SessionId { get; }

    /// <summary>The start of every task id this executor makes ("prefix.sequence"): random, unrelated to <see cref="SessionId"/>.</summary>
    internal string TaskIdPrefix { get; }

    /// <summary>Futures of this executor not yet done.</summary>
    public int PendingCount => _futures.Count;

    /// <summary>
    /// Schedules task <paramref name="task"/> with positional <paramref name="args"/> (sent as a JSON array)
    /// and returns its future at once — unless earlier submits not yet accepted by a coordinator hold
    /// <see cref="ClusterExecutorOptions.MaxPendingBytes"/>: then it blocks until they are accepted
    /// or done, as <c>queue.put</c> on a full bounded queue.
    /// </summary>
    /// <exception cref="ArgumentException">The task name is empty or malformed, or an argument cannot be written as JSON.</exception>
    /// <exception cref="InvalidOperationException">The executor has been shut down.</exception>
    public ClusterFuture<TResult> Submit<TResult>(string task, params object?[] args) =>
        Enqueue<TResult>(task, args ?? [null], chunked: false, policy: null);

    /// <summary>Submits with <paramref name="options"/>: a policy for this task alone, an idempotency key, a delay or a time to run at.</summary>
    /// <exception cref="InvalidOperationException">The idempotency key was used in this executor for a future of another result type.</exception>
    public ClusterFuture<TResult> Submit<TResult>(SubmitOptions options, string task, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(options);
        var notBefore = options.NotBeforeWire();
        if (options.Priority is < 0 or > 9)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Priority, $"SubmitOptions.Priority must be 0 (lowest) to 9 (highest), not {options.Priority}.");
        }
        if (options.Queue is not null && QueueNames.Problem("SubmitOptions.Queue", options.Queue) is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }
        if (options.IdempotencyKey is not { Length: > 0 } key)
        {
            return Enqueue<TResult>(task, Prepare(task, args ?? [null]), chunked: false, options.Policy, idempotencyKey: null, options, notBefore);
        }
        if (Keyed<TResult>(key) is { } earlier)
        {
            return earlier;
        }
        // Outside the lock: this may block until earlier submits are accepted.
        var submit = Prepare(task, args ?? [null]);
        lock (_keyed)
        {
            if (Keyed<TResult>(key) is { } raced)
            {
                _pending.Return(submit.Cost);
                return raced;
            }
            var future = Enqueue<TResult>(task, submit, chunked: false, options.Policy, key, options, notBefore);
            // Kept while the future is pending: Forget trims it.
            _keyed[key] = future;
            return future;
        }
    }

    /// <summary>The pending future of idempotency key <paramref name="key"/>, if any.</summary>
    private ClusterFuture<TResult>? Keyed<TResult>(string key)
    {
        lock (_keyed)
        {
            return !_keyed.TryGetValue(key, out var earlier) ? null
                : earlier as ClusterFuture<TResult> ?? throw new InvalidOperationException($"Idempotency key '{key}' was used for a task with a result of another type.");
        }
    }

    /// <summary>Submits with a retry and timeout <paramref name="policy"/> for this task alone.</summary>
    public ClusterFuture<TResult> Submit<TResult>(TaskPolicy policy, string task, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return Enqueue<TResult>(task, args ?? [null], chunked: false, policy);
    }

    /// <summary>Submits a typed task: its name, argument and result types come from <paramref name="task"/>.</summary>
    public ClusterFuture<TResult> Submit<TArg, TResult>(TaskDef<TArg, TResult> task, TArg arg, TaskPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Enqueue<TResult>(task.Name, new object?[] { arg }, chunked: false, policy);
    }

    /// <summary>Submits a typed task without arguments.</summary>
    public ClusterFuture<TResult> Submit<TResult>(TaskDef<TResult> task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return Enqueue<TResult>(task.Name, Array.Empty<object?>(), chunked: false, policy: null);
    }

    /// <summary>One unit of work that calls <paramref name="task"/> once per argument list; its result is one entry per call.</summary>
    internal ClusterFuture<JsonElement> SubmitChunk(string task, IReadOnlyList<object?[]> calls) =>
        Enqueue<JsonElement>(task, calls, chunked: true, policy: null);

    private ClusterFuture<TResult> Enqueue<TResult>(string task, object args, bool chunked, TaskPolicy? policy) =>
        Enqueue<TResult>(task, Prepare(task, args), chunked, policy, idempotencyKey: null);

    /// <summary>Checks and writes a submit's arguments, then takes their bytes from the bound on unaccepted submits (waiting for room).</summary>
    private PreparedSubmit Prepare(string task, object args)
    {
        ThrowIfShutDown();
        TaskNames.Require(task);
        byte[] json;
        IReadOnlyList<ClusterFuture> inputs;
        try
        {
            json = FutureArguments.Write(args, out inputs);
        }
        catch (NotSupportedException e)
        {
            throw new ArgumentException($"The arguments of task '{task}' cannot be written as JSON: {e.Message}", nameof(args), e);
        }
        var cost = json.Length + task.Length + TaskOverheadBytes;
        _pending.Take(cost);
        return new PreparedSubmit(json, cost, inputs);
    }

    private ClusterFuture<TResult> Enqueue<TResult>(string task, PreparedSubmit submit, bool chunked, TaskPolicy? policy, string? idempotencyKey, SubmitOptions? order = null, long notBefore = 0)
    {
        if (submit.Inputs.Count > 0 && (idempotencyKey is not null || notBefore != 0))
        {
            _pending.Return(submit.Cost);
            throw new ArgumentException($"Task '{task}' takes futures among its arguments: it runs when they have finished, so it can have neither an idempotency key nor a delay or time to run at.");
        }
        var id = NextTaskId();
        var future = new ClusterFuture<TResult>(this, id, task, chunked, policy)
        {
            IdempotencyKey = idempotencyKey,
            NotBefore = notBefore,
            Priority = order?.Priority ?? 5,
            Queue = order?.Queue,
            Args = submit.Json,
            PendingBytes = submit.Cost,
            Trace = Internal.Telemetry.FutureTrace.Begin(id, task),
            Inputs = submit.Inputs,
        };
        HopTrace.Mark("client.submit", id);
        _futures[id] = future;
        if (submit.Inputs.Count > 0 && submit.Inputs.Any(input => !input.Stored))
        {
            // The store must know its inputs: it is sent once a coordinator has answered theirs.
            _ = SendAfterInputsAsync(future);
            return future;
        }
        // Shut down while this submit waited for room, or between the check and here.
        if (Volatile.Read(ref _shutdown) != 0 || !_submits.Writer.TryWrite(future))
        {
            // Forget: a shutdown that saw this future in the map waits for it no more.
            Forget(future);
            ReturnPendingBytes(future);
            throw new InvalidOperationException("Cannot submit after shutdown.");
        }
        return future;
    }

    /// <summary>The next task id, "prefix.n", made as one string.</summary>
    private string NextTaskId()
    {
        Span<char> number = stackalloc char[20];
        Interlocked.Increment(ref _sequence).TryFormat(number, out var length, provider: System.Globalization.CultureInfo.InvariantCulture);
        return string.Concat(TaskIdPrefix, ".", number[..length]);
    }

    private void ThrowIfShutDown()
    {
        if (Volatile.Read(ref _shutdown) != 0)
        {
            throw new InvalidOperationException("Cannot submit after shutdown.");
        }
    }

    /// <summary>The future no longer holds its arguments against the bound on unaccepted submits (accepted, or done).</summary>
    internal void ReturnPendingBytes(ClusterFuture future)
    {
        future.Args = default;
        var bytes = Interlocked.Exchange(ref future.PendingBytes, 0);
        if (bytes > 0)
        {
            _pending.Return(bytes);
        }
    }

    /// <summary>Submits and returns the raw JSON result.</summary>
    public ClusterFuture<JsonElement> Submit(string task, params object?[] args) => Submit<JsonElement>(task, args);

    /// <summary>
    /// Stops accepting tasks. With <paramref name="wait"/>, returns once every future of this
    /// executor is done (a submit no coordinator accepts fails after
    /// <see cref="ClusterExecutorOptions.UnavailableTimeout"/>; an accepted task is waited for); with
    /// <paramref name="cancelFutures"/>, first cancels those still queued.
    /// </summary>
    public void Shutdown(bool wait = true, bool cancelFutures = false) =>
        Blocking.Wait(ShutdownAsync(wait, cancelFutures));

    /// <inheritdoc cref="Shutdown"/>
    public async Task ShutdownAsync(bool wait = true, bool cancelFutures = false)
    {
        Interlocked.Exchange(ref _shutdown, 1);
        if (cancelFutures)
        {
            // As concurrent.futures: cancelling is best effort, and a future it could not cancel
            // (no coordinator answered) resolves from its completion as any other.
            await Task.WhenAll(_futures.Values.Select(CancelQuietlyAsync)).ConfigureAwait(false);
        }
        if (_futures.IsEmpty)
        {
            _idle.TrySetResult();
        }
        // The streams stay open until the last future is done, with or without waiting for it here.
        var stopped = _idle.Task.ContinueWith(_ => StopAsync(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap();
        if (wait)
        {
            await stopped.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Gives up on every future not yet done (each fails with <see cref="ObjectDisposedException"/>;
    /// its task, if a coordinator accepted it, still runs), so a shutdown that waits for them ends
    /// now. Returns how many there were.
    /// </summary>
    internal int Abandon()
    {
        var abandoned = 0;
        foreach (var future in _futures.Values)
        {
            if (future.Resolve(error: new ObjectDisposedException(nameof(ClusterExecutor), $"The executor stopped before task {future.Id} finished; a coordinator that accepted the task still runs it.")))
            {
                abandoned++;
            }
        }
        return abandoned;
    }

    /// <summary>
    /// Blocks until every future of this executor is done, then closes its streams: the same as
    /// <c>Shutdown(wait: true)</c>. Prefer <see cref="DisposeAsync"/> (<c>await using</c>) in async code.
    /// </summary>
    public void Dispose() => Blocking.Wait(DisposeAsync().AsTask());

    /// <summary>
    /// Stops accepting tasks, waits until every future of this executor is done (an accepted task is
    /// waited for however long it runs), then closes its streams: <c>ShutdownAsync(wait: true)</c>.
    /// </summary>
    public async ValueTask DisposeAsync() => await ShutdownAsync(wait: true).ConfigureAwait(false);

    /// <summary>The future is done: the executor lets go of it (and of its idempotency key, which the coordinator keeps).</summary>
    internal void Forget(ClusterFuture future)
    {
        _futures.TryRemove(future.Key, out _);
        if (future.IdempotencyKey is { } key)
        {
            lock (_keyed)
            {
                if (_keyed.TryGetValue(key, out var held) && ReferenceEquals(held, future))
                {
                    _keyed.Remove(key);
                }
            }
        }
        if (Volatile.Read(ref _shutdown) != 0 && _futures.IsEmpty)
        {
            _idle.TrySetResult();
        }
    }

    private async Task CancelQuietlyAsync(ClusterFuture future)
    {
        try
        {
            await future.CancelAsync().ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            LogShutdownCancelFailed(future.Id, e.Status.Detail);
        }
    }

    internal async Task<(bool Cancelled, bool Interrupted)> CancelOnServerAsync(ClusterFuture future, bool interrupt)
    {
        var reply = await Client.CancelAsync(new CancelRequest { Session = SessionId, TaskIds = { future.Id }, Interrupt = interrupt, AnySession = future.AnySession }).ConfigureAwait(false);
        return (reply.Cancelled.Count == 1 && reply.Cancelled[0], reply.Interrupted.Count == 1 && reply.Interrupted[0]);
    }

    private Task StopAsync()
    {
        lock (_stopLock)
        {
            return _stopped ??= StopOnceAsync();
        }
    }

    private async Task StopOnceAsync()
    {
        _submits.Writer.TryComplete();
        await AckAsync().ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_submitLoop, _completionLoop).ConfigureAwait(false);
        foreach (var stream in _submitStreams)
        {
            stream?.Dispose();
        }
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }

    internal void LogCallbackFailed(string taskId, Exception exception) => LogCallbackThrew(taskId, exception);

    [LoggerMessage(EventId = 400, Level = LogLevel.Error, Message = "A done-callback of task {TaskId} threw")]
    private partial void LogCallbackThrew(string taskId, Exception exception);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "Submit of {Count} tasks failed ({Status}); retrying")]
    private partial void LogSubmitRetry(int count, StatusCode status);

    [LoggerMessage(EventId = 405, Level = LogLevel.Warning, Message = "Shutdown could not cancel task {TaskId} ({Reason}); its future resolves from its completion")]
    private partial void LogShutdownCancelFailed(string taskId, string reason);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "Completion stream of session {Session} broke ({Reason}); resuming after {Seq}")]
    private partial void LogStreamBroke(string session, string reason, long seq);

    [LoggerMessage(EventId = 408, Level = LogLevel.Information, Message = "Coordinator {Address} refused a submit stream ({Reason}); submitting a call per batch there")]
    private partial void LogSubmitStreamRefused(string address, string reason);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "No coordinator accepted {Count} tasks within {Timeout} ({Status}); their futures fail")]
    private partial void LogSubmitGaveUp(int count, TimeSpan timeout, StatusCode status);

    [LoggerMessage(EventId = 406, Level = LogLevel.Warning, Message = "Session {Session}: a coordinator's store connection failed ({Faults} failures); re-checking the tasks it waits for")]
    private partial void LogStoreFault(string session, long faults);

    [LoggerMessage(EventId = 407, Level = LogLevel.Information, Message = "Session {Session}: re-checked {Count} waiting tasks after a store fault: {Resolved} had finished, {Lost} were lost")]
    private partial void LogRechecked(string session, int count, int resolved, int lost);

    [LoggerMessage(EventId = 404, Level = LogLevel.Information, Message = "Queue of task {Name} is full: {Count} tasks wait here and are sent again in {Delay}")]
    private partial void LogQueueFull(string name, int count, TimeSpan delay);
}
