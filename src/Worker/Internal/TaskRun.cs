using Cluster.Protocol.V1;

namespace Cluster.Worker.Internal;

/// <summary>One leased task inside a worker process, from assignment to result.</summary>
internal sealed class TaskRun : IDisposable
{
    private const int Queued = 0;
    private const int Started = 1;
    private const int Withdrawn = 2;

    private readonly CancellationTokenSource? _soft;
    private int _state;
    private volatile bool _revoked;

    /// <remarks>
    /// The worker process fires <see cref="Interrupt"/> itself when it shuts down (every run it
    /// holds), rather than each run linking its token to the shutdown's: that would add and remove
    /// a registration on the one shutdown token per task.
    /// </remarks>
    public TaskRun(Assignment assignment, int generation, Handler handler)
    {
        Assignment = assignment;
        Generation = generation;
        Handler = handler;
        Executor = handler.Executor;
        // One token source per task; a second only when the task has a soft timeout.
        if (assignment.SoftTimeoutMs > 0)
        {
            _soft = new CancellationTokenSource(assignment.SoftTimeoutMs);
            Interrupt = CancellationTokenSource.CreateLinkedTokenSource(_soft.Token);
        }
        else
        {
            Interrupt = new CancellationTokenSource();
        }
    }

    public Assignment Assignment { get; }

    public Handler Handler { get; }

    /// <summary>What the handler is given; set once, before the run is queued to its executor.</summary>
    public TaskContext Context { get; set; } = null!;

    public RunKey Key => new(Assignment.TaskId, Assignment.Attempt);

    public int Generation { get; }

    public Executor Executor { get; }

    /// <summary>Fires on cancel-with-interrupt, on the soft timeout, and on shutdown (fired by the worker process).</summary>
    public CancellationTokenSource Interrupt { get; }

    /// <summary>True when the soft timeout (not a cancel) fired the token.</summary>
    public bool TimedOut => _soft?.IsCancellationRequested == true;

    public bool HasStarted => Volatile.Read(ref _state) == Started;

    /// <summary>When it started (Stopwatch ticks); 0 until then.</summary>
    public long StartedAt { get; set; }

    /// <summary>Its started notice is on its way (set by the sender, once).</summary>
    public bool StartNoticed { get; set; }

    /// <summary>Claims the run for its executor; false when it was handed back meanwhile.</summary>
    public bool TryStart() => Interlocked.CompareExchange(ref _state, Started, Queued) == Queued;

    /// <summary>Takes back a run that has not started (the worker is draining, or its lease was taken).</summary>
    public bool TryWithdraw() => Interlocked.CompareExchange(ref _state, Withdrawn, Queued) == Queued;

    /// <summary>True once the coordinator took this run's lease: its result would be stale and is not sent.</summary>
    public bool Revoked => _revoked;

    /// <summary>The lease was taken: the handler is asked to stop, and its result will not be sent.</summary>
    public void Revoke()
    {
        _revoked = true;
        Cancel();
    }

    /// <summary>Fires the handler's token; a no-op once the run has ended.</summary>
    public void Cancel()
    {
        try
        {
            Interrupt.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Finished meanwhile.
        }
    }

    public void Dispose()
    {
        Interrupt.Dispose();
        _soft?.Dispose();
    }
}
