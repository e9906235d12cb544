using Cluster.Protocol.V1;
using Grpc.Core;

namespace Cluster.Coordinator.Internal;

/// <summary>
/// One worker process's stream as this coordinator sees it: its names, its capacity, the tasks it
/// holds. Split by concern: its slots and held tasks (<c>WorkerConnection.Slots.cs</c>) and the
/// messages waiting to be written to it (<c>WorkerConnection.Outbox.cs</c>).
/// </summary>
internal sealed partial class WorkerConnection
{
    /// <summary>The most tasks leased to a worker in one step.</summary>
    public const int MaxLeaseBatch = 512;

    public WorkerConnection(Hello hello)
    {
        Hello = hello;
        ThreadNames = Names(hello, ExecutionKind.ThreadPool);
        CoroutineNames = Names(hello, ExecutionKind.Coroutine);
        _capacity = [ThreadCapacity(hello), hello.Coroutines];
    }

    public Hello Hello { get; }

    public string Id => Hello.WorkerId;

    /// <summary>Names this connection's registration in the store: only the connection holding it may renew or end it.</summary>
    public string Token { get; } = Guid.NewGuid().ToString("N");

    /// <summary>The routes (a task name in its default queue, or "name|queue": <see cref="Store.Routes"/>) this connection's thread pool serves: each of its names in each queue it listens to.</summary>
    public string[] ThreadNames { get; }

    /// <summary>The routes this connection's coroutine loop serves, as <see cref="ThreadNames"/>.</summary>
    public string[] CoroutineNames { get; }

    public Signal Wake { get; } = new();

    private int _readyVersion;

    /// <summary>Counts the ready notices for names this worker handles: the lease loop looks at the
    /// queues again only after one, or while its last lease was filled to what it asked.</summary>
    public int ReadyVersion => Volatile.Read(ref _readyVersion);

    public void MarkReady()
    {
        Interlocked.Increment(ref _readyVersion);
        Wake.Set();
    }

    private long _wakeAt = long.MaxValue;

    /// <summary>
    /// Marks the queues ready again after <paramref name="delay"/> (the next token of a rate limit
    /// that held tasks back): one timer per connection, moved earlier when a sooner one is asked.
    /// </summary>
    public void WakeAfter(TimeSpan delay)
    {
        var at = Environment.TickCount64 + (long)Math.Ceiling(delay.TotalMilliseconds);
        var current = Interlocked.Read(ref _wakeAt);
        while (at < current)
        {
            var seen = Interlocked.CompareExchange(ref _wakeAt, at, current);
            if (seen == current)
            {
                _ = Task.Delay(delay).ContinueWith(_ =>
                {
                    Interlocked.CompareExchange(ref _wakeAt, long.MaxValue, at);
                    MarkReady();
                }, TaskScheduler.Default);
                return;
            }
            current = seen;
        }
    }

    private long _foreignEvents;

    /// <summary>
    /// Counts the notices this connection sent for tasks it does not hold (dropped); true the first
    /// time only, so they are logged once per connection.
    /// </summary>
    public bool CountForeignEvents(int dropped) => Interlocked.Add(ref _foreignEvents, dropped) == dropped;

    private volatile bool _draining;

    /// <summary>The worker takes no new tasks: it is finishing what it has.</summary>
    public bool Draining => _draining;

    public void Drain() => _draining = true;

    private CancellationTokenSource? _connection;
    private Status? _ended;
    private long _lastHeartbeat = Environment.TickCount64;

    /// <summary>The token source that ends this worker's stream.</summary>
    public void Attach(CancellationTokenSource connection) => _connection = connection;

    /// <summary>Set when this coordinator ends the stream itself: the status the worker is given.</summary>
    public Status? Ended
    {
        get
        {
            lock (_slotsGate)
            {
                return _ended;
            }
        }
    }

    /// <summary>Wakes the heartbeat loop, which renews the worker's registration in the store.</summary>
    public Signal Heartbeat { get; } = new();

    /// <summary>How long since the worker's last heartbeat (or its hello).</summary>
    public TimeSpan SinceHeartbeat => TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _lastHeartbeat));

    public void MarkHeartbeat()
    {
        Interlocked.Exchange(ref _lastHeartbeat, Environment.TickCount64);
        Heartbeat.Set();
    }

    /// <summary>
    /// Ends the stream with <paramref name="status"/>: the reading stops, what is queued for the
    /// worker is still written. The first call wins. With <paramref name="revoke"/>, the worker is
    /// first told the ids of the tasks it held (as far as this connection knows them), which are
    /// no longer its own.
    /// </summary>
    public void End(Status status, bool revoke = false)
    {
        lock (_slotsGate)
        {
            if (_ended is not null)
            {
                return;
            }
            _ended = status;
            if (revoke && _held.Count > 0)
            {
                var message = new CoordinatorMessage();
                message.Revoked.AddRange(_held.Keys);
                Send(message);
            }
        }
        try
        {
            _connection?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The stream has ended already.
        }
    }

    /// <summary>The kind of slot that runs every one of <paramref name="names"/> (routes) here, or Unspecified when there is none.</summary>
    public ExecutionKind KindOfAll(IReadOnlyList<string> names)
    {
        var kind = ExecutionKind.Unspecified;
        foreach (var name in names)
        {
            var k = Array.IndexOf(ThreadNames, name) >= 0 ? ExecutionKind.ThreadPool
                : Array.IndexOf(CoroutineNames, name) >= 0 ? ExecutionKind.Coroutine
                : ExecutionKind.Unspecified;
            if (k == ExecutionKind.Unspecified || (kind != ExecutionKind.Unspecified && k != kind))
            {
                return ExecutionKind.Unspecified;
            }
            kind = k;
        }
        return kind;
    }

    public bool HandlesAny(string[] names)
    {
        foreach (var name in names)
        {
            if (Array.IndexOf(ThreadNames, name) >= 0 || Array.IndexOf(CoroutineNames, name) >= 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The most thread-pool tasks the connection holds at once: its thread slots, else its threads.</summary>
    public static int ThreadCapacity(Hello hello) => hello.ThreadSlots > 0 ? hello.ThreadSlots : hello.Threads;

    private static string[] Names(Hello hello, ExecutionKind kind) =>
        Store.Routes.Served(hello.Handlers.Where(h => h.Kind == kind).Select(h => h.Name), hello.Queues);
}
