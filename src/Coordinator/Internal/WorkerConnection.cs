using Cluster.Contracts;
using System.Threading.Channels;
using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal;

/// <summary>One worker process's stream as this coordinator sees it: its names, its free slots.</summary>
internal sealed class WorkerConnection(Hello hello)
{
    /// <summary>The most tasks leased to a worker in one step.</summary>
    public const int MaxLeaseBatch = 512;

    private int _threadCredits;
    private int _coroutineCredits;

    public Hello Hello { get; } = hello;

    public string Id => Hello.WorkerId;

    public string[] ThreadNames { get; } = Names(hello, ExecutionKind.ThreadPool);

    public string[] CoroutineNames { get; } = Names(hello, ExecutionKind.Coroutine);

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

    /// <summary>Messages to the worker; one loop writes them to the stream.</summary>
    public Channel<CoordinatorMessage> Outgoing { get; } = Channel.CreateUnbounded<CoordinatorMessage>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });

    private volatile bool _draining;

    /// <summary>The worker takes no new tasks: it is finishing what it has.</summary>
    public bool Draining => _draining;

    public void Drain() => _draining = true;

    public int ThreadCredits => Volatile.Read(ref _threadCredits);

    public int CoroutineCredits => Volatile.Read(ref _coroutineCredits);

    private CancellationTokenSource? _connection;

    /// <summary>The token source that ends this worker's stream.</summary>
    public void Attach(CancellationTokenSource connection) => _connection = connection;

    /// <summary>
    /// Ends the worker's stream; it reconnects, and every lease it holds goes back to its queue. For a
    /// store call that failed after it may have leased tasks to the worker that it will not be sent.
    /// </summary>
    public void Abort()
    {
        try
        {
            _connection?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The stream has ended already, and its leases with it.
        }
    }

    private readonly Lock _handoffGate = new();
    private int _handoffs;
    private bool _closed;
    private TaskCompletionSource? _handoffsDone;

    /// <summary>Takes up to <paramref name="max"/> credits of one kind for a lease; 0 when there are none.</summary>
    public int Reserve(ExecutionKind kind, int max)
    {
        ref var credits = ref kind == ExecutionKind.ThreadPool ? ref _threadCredits : ref _coroutineCredits;
        while (true)
        {
            var available = Volatile.Read(ref credits);
            if (available <= 0 || max <= 0)
            {
                return 0;
            }
            var take = Math.Min(available, max);
            if (Interlocked.CompareExchange(ref credits, available - take, available) == available)
            {
                return take;
            }
        }
    }

    /// <summary>Sends the tasks leased with credits reserved of one kind, and gives back the credits left over.</summary>
    public void Assign(List<Assignment> leased, ExecutionKind kind, int reserved)
    {
        if (leased.Count > 0)
        {
            HopTrace.MarkEach("coordinator.assigned", leased, static a => a.TaskId);
            var message = new CoordinatorMessage();
            message.Assignments.AddRange(leased);
            Outgoing.Writer.TryWrite(message);
        }
        var unused = reserved - leased.Count;
        if (unused > 0)
        {
            AddCredits(kind == ExecutionKind.ThreadPool ? unused : 0, kind == ExecutionKind.Coroutine ? unused : 0);
        }
    }

    /// <summary>
    /// Reserves credits for a submit that hands its tasks straight to this worker, unless the worker
    /// is draining or its stream has closed; <see cref="EndHandoff"/> follows each reservation.
    /// </summary>
    public int BeginHandoff(ExecutionKind kind, int max)
    {
        lock (_handoffGate)
        {
            if (_closed || _draining)
            {
                return 0;
            }
            var reserved = Reserve(kind, max);
            if (reserved > 0)
            {
                _handoffs++;
            }
            return reserved;
        }
    }

    public void EndHandoff()
    {
        lock (_handoffGate)
        {
            if (--_handoffs == 0)
            {
                _handoffsDone?.TrySetResult();
            }
        }
    }

    /// <summary>
    /// Takes no more hand-offs, and completes once those under way have been stored: the tasks they
    /// leased are then in the worker's leased set, which goes back to the queues after this.
    /// </summary>
    public Task CloseAsync()
    {
        lock (_handoffGate)
        {
            _closed = true;
            if (_handoffs == 0)
            {
                return Task.CompletedTask;
            }
            _handoffsDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _handoffsDone.Task;
        }
    }

    /// <summary>The kind of slot that runs every one of <paramref name="names"/> here, or Unspecified when there is none.</summary>
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

    public void AddCredits(int threads, int coroutines)
    {
        if (threads != 0)
        {
            Interlocked.Add(ref _threadCredits, threads);
        }
        if (coroutines != 0)
        {
            Interlocked.Add(ref _coroutineCredits, coroutines);
        }
        if (threads > 0 || coroutines > 0)
        {
            Wake.Set();
        }
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

    private static string[] Names(Hello hello, ExecutionKind kind) =>
        hello.Handlers.Where(h => h.Kind == kind).Select(h => h.Name).Distinct(StringComparer.Ordinal).ToArray();
}
