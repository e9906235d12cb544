using System.Collections.Concurrent;
using Cluster.Coordinator.Internal.Store;
using Cluster.Protocol.V1;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal;

/// <summary>
/// Wakes this coordinator's loops from the store's pub/sub: worker lease loops when tasks they
/// handle become ready, completion streams when their session has new completions or notices,
/// worker streams when a task they run is to be interrupted. Every coordinator on the same store
/// hears every notice, so any of them may serve any worker or client.
/// </summary>
internal sealed class Notifier
{
    private readonly ConcurrentDictionary<string, WorkerConnection> _workers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SessionWatch> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Session, Signal Signal), byte> _attached = new();
    // Prefixes this coordinator's ready and done notices, so it skips its own when the store echoes
    // them. It starts with a character no task name or session may hold; a notice without one (from
    // a coordinator of an earlier version) is taken whole.
    private const char OriginMark = '\u0001';
    private readonly string _origin = OriginMark + Guid.NewGuid().ToString("N")[..12] + "\n";
    private readonly Lock _connectedGate = new();

    public Notifier(IConnectionMultiplexer redis, Keys keys)
    {
        var subscriber = redis.GetSubscriber();
        subscriber.Subscribe(keys.ReadyChannel, (_, message) => OnReady(Untag(message!)));
        subscriber.Subscribe(keys.DoneChannel, (_, message) => OnDone(Untag(message!)));
        subscriber.Subscribe(keys.EventsChannel, (_, message) => OnEvents(message));
        subscriber.Subscribe(keys.InterruptChannel, (_, message) => OnInterrupt(message!));
        subscriber.Subscribe(keys.TimersChannel, (_, message) => OnTimers(Untag(message!)));
        // A store that failed over may have lost its old master's last writes (Redis Cluster
        // replicates asynchronously): a lost completion leaves its task leased to a worker that no
        // longer holds it. Each lease loop puts back, once the store answers, what the store holds
        // leased to its worker that the connection does not hold; that task runs again.
        redis.ConnectionFailed += (_, _) =>
        {
            ReclaimEverywhere();
            CountStoreFault();
        };
    }

    private long _storeFaults;

    /// <summary>
    /// How many times this coordinator's store connection has failed since it started: every
    /// completion stream passes it on, so its client re-checks the tasks it waits for (a store that
    /// failed over may have lost a submit or a completion it acknowledged just before).
    /// </summary>
    public long StoreFaults => Interlocked.Read(ref _storeFaults);

    /// <summary>Counts a failure of the store connection and wakes every completion stream to say so.</summary>
    internal void CountStoreFault()
    {
        Interlocked.Increment(ref _storeFaults);
        foreach (var watch in _sessions.Values)
        {
            watch.Wake.Set();
        }
    }

    private void ReclaimEverywhere()
    {
        foreach (var worker in _workers.Values)
        {
            worker.ReclaimUnsent();
        }
    }

    /// <summary>A ready or done notice as published: with the origin of <paramref name="local"/>, if any.</summary>
    public static string Tag(Notifier? local, string message) => local is null ? message : local._origin + message;

    /// <summary>The notice without its origin; empty when it is this coordinator's own.</summary>
    private string Untag(string message)
    {
        if (message.Length == 0 || message[0] != OriginMark)
        {
            return message;
        }
        if (message.StartsWith(_origin, StringComparison.Ordinal))
        {
            return string.Empty;
        }
        var newline = message.IndexOf('\n', StringComparison.Ordinal);
        return newline < 0 ? string.Empty : message[(newline + 1)..];
    }

    /// <summary>When this coordinator's reaper next looks for delayed tasks that are due.</summary>
    public DelayTimer Delayed { get; } = new();

    /// <summary>Set when a schedule was added, changed or removed (here or on another coordinator).</summary>
    public Signal SchedulesChanged { get; } = new();

    /// <summary>A task was delayed until <paramref name="inMs"/> ms from now (by the store's clock).</summary>
    public void OnDelayed(long inMs) => Delayed.Arm(inMs);

    /// <summary>A timer notice: "s" the schedules changed; else the ms until a task just delayed is due.</summary>
    private void OnTimers(string message)
    {
        if (message == "s")
        {
            SchedulesChanged.Set();
        }
        else if (long.TryParse(message, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var inMs))
        {
            Delayed.Arm(inMs);
        }
    }

    private WorkerConnection[] _connected = [];
    private int _rotation;

    /// <summary>The worker connections of this coordinator now.</summary>
    public IReadOnlyList<WorkerConnection> Connected => Volatile.Read(ref _connected);

    public void Add(WorkerConnection worker)
    {
        lock (_connectedGate)
        {
            _workers[worker.Id] = worker;
            Volatile.Write(ref _connected, [.. _workers.Values]);
        }
    }

    public void Remove(WorkerConnection worker)
    {
        lock (_connectedGate)
        {
            _workers.TryRemove(new KeyValuePair<string, WorkerConnection>(worker.Id, worker));
            Volatile.Write(ref _connected, [.. _workers.Values]);
        }
    }

    /// <summary>
    /// A worker connected here with free slots for every one of <paramref name="names"/>, taking
    /// turns; its credits for up to <paramref name="count"/> tasks are reserved. Null when none has any.
    /// </summary>
    public (WorkerConnection Worker, ExecutionKind Kind, int Reserved)? BeginHandoff(IReadOnlyList<string> names, int count)
    {
        var connected = Volatile.Read(ref _connected);
        var start = Interlocked.Increment(ref _rotation);
        for (var i = 0; i < connected.Length; i++)
        {
            var worker = connected[(int)((uint)(start + i) % (uint)connected.Length)];
            var kind = worker.KindOfAll(names);
            if (kind == ExecutionKind.Unspecified)
            {
                continue;
            }
            var reserved = worker.BeginHandoff(kind, count);
            if (reserved > 0)
            {
                return (worker, kind, reserved);
            }
        }
        return null;
    }

    /// <summary>
    /// Wakes <paramref name="signal"/> whenever a completion of <paramref name="session"/> is written
    /// (by this coordinator or, through <c>:done</c>, by another), until <see cref="Unattach"/>: an
    /// attached future's call waits on it.
    /// </summary>
    public void Attach(string session, Signal signal) => _attached[(session, signal)] = 0;

    public void Unattach(string session, Signal signal) => _attached.TryRemove((session, signal), out _);

    private void WakeAttached(string session)
    {
        if (_attached.IsEmpty)
        {
            return;
        }
        foreach (var (key, _) in _attached)
        {
            if (string.Equals(key.Session, session, StringComparison.Ordinal))
            {
                key.Signal.Set();
            }
        }
    }

    public SessionWatch Watch(string session)
    {
        var watch = new SessionWatch();
        _sessions[session] = watch;
        return watch;
    }

    public void Unwatch(string session, SessionWatch watch) =>
        _sessions.TryRemove(new KeyValuePair<string, SessionWatch>(session, watch));

    public void OnReady(string message)
    {
        if (message.Length == 0)
        {
            return;
        }
        var names = message.Split('\n');
        foreach (var worker in _workers.Values)
        {
            if (worker.HandlesAny(names))
            {
                worker.MarkReady();
            }
        }
    }

    /// <summary>Sessions with completions in the store that their stream has not been handed: it reads them.</summary>
    public void OnDone(string message)
    {
        if (message.Length == 0)
        {
            return;
        }
        foreach (var session in message.Split('\n'))
        {
            WakeAttached(session);
            if (_sessions.TryGetValue(session, out var watch))
            {
                watch.MarkStale();
            }
        }
    }

    /// <summary>Hands completions just written to the outboxes to the streams of their sessions open here.</summary>
    public void Deliver(IReadOnlyList<(string Session, Completion Completion)> written)
    {
        SessionWatch? last = null;
        foreach (var (session, completion) in written)
        {
            WakeAttached(session);
            if (_sessions.TryGetValue(session, out var watch))
            {
                watch.Offer(completion);
                if (!ReferenceEquals(watch, last))
                {
                    last?.Wake.Set();
                    last = watch;
                }
            }
        }
        last?.Wake.Set();
    }

    private void OnEvents(RedisValue message)
    {
        var batch = CompletionBatch.Parser.ParseFrom((byte[])message!);
        SessionWatch? last = null;
        foreach (var e in batch.Events)
        {
            if (_sessions.TryGetValue(e.Session, out var watch))
            {
                watch.Add(e);
                if (!ReferenceEquals(watch, last))
                {
                    last?.Wake.Set();
                    last = watch;
                }
            }
        }
        last?.Wake.Set();
    }

    private void OnInterrupt(string message)
    {
        foreach (var line in message.Split('\n'))
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab > 0 && _workers.TryGetValue(line[..tab], out var worker))
            {
                worker.Send(new CoordinatorMessage { Cancel = { line[(tab + 1)..] } });
            }
        }
    }
}
