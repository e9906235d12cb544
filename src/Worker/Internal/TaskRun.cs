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

    public TaskRun(Assignment assignment, int generation, Executor executor, CancellationToken shutdown)
    {
        Assignment = assignment;
        Generation = generation;
        Executor = executor;
        // One token source per task; a second only when the task has a soft timeout.
        if (assignment.SoftTimeoutMs > 0)
        {
            _soft = new CancellationTokenSource(assignment.SoftTimeoutMs);
            Interrupt = CancellationTokenSource.CreateLinkedTokenSource(shutdown, _soft.Token);
        }
        else
        {
            Interrupt = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        }
    }

    public Assignment Assignment { get; }

    public RunKey Key => new(Assignment.TaskId, Assignment.Attempt);

    public int Generation { get; }

    public Executor Executor { get; }

    /// <summary>Fires on cancel-with-interrupt, on the soft timeout, and on shutdown.</summary>
    public CancellationTokenSource Interrupt { get; }

    /// <summary>True when the soft timeout (not a cancel) fired the token.</summary>
    public bool TimedOut => _soft?.IsCancellationRequested == true;

    public bool HasStarted => Volatile.Read(ref _state) == Started;

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
