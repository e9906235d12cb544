using Cluster.Contracts;
using Cluster.Protocol.V1;
using Google.Protobuf.Collections;

namespace Cluster.Coordinator.Internal;

/// <summary>
/// The worker's slots per kind: its capacity (declared in hello), its credits, the credits reserved
/// for a lease under way, and the tasks it holds (sent and not yet answered by a result or a
/// release). Held plus reserved plus credits never exceed the capacity: credits past it are ignored.
/// </summary>
internal sealed partial class WorkerConnection
{
    private readonly Lock _slotsGate = new();
    private readonly int[] _capacity;
    private readonly int[] _credits = [0, 0];
    private readonly int[] _reserved = [0, 0];
    private readonly int[] _heldCount = [0, 0];
    // The leases this connection was sent and has not answered: the attempt (fencing token) and the
    // session of each, as the store leased it. A worker acts only on these, and its claims of session
    // are not trusted: results and notices take the lease's.
    // The name and the time it was sent (Stopwatch ticks) are for the metrics.
    private readonly Dictionary<string, (int Attempt, int Kind, string Session, string Name, long SentAt)> _held = new(StringComparer.Ordinal);
    // Answered with a result not yet committed: the store still has them leased to this worker.
    private readonly Dictionary<string, (string Name, long SentAt)> _committing = new(StringComparer.Ordinal);
    private int _handoffs;
    private bool _closed;
    private bool _handoffsPaused;
    private TaskCompletionSource? _handoffsDone;
    private volatile bool _reclaimDue;

    private static int Slot(ExecutionKind kind) => kind == ExecutionKind.ThreadPool ? 0 : 1;

    public int ThreadCredits => Credits(0);

    public int CoroutineCredits => Credits(1);

    private int Credits(int slot)
    {
        lock (_slotsGate)
        {
            return _credits[slot];
        }
    }

    /// <summary>How many tasks the connection holds: sent to it and not yet answered.</summary>
    public int HeldCount
    {
        get
        {
            lock (_slotsGate)
            {
                return _held.Count;
            }
        }
    }

    /// <summary>
    /// What the worker is busy with now, as this connection knows it: its threads busy (the
    /// thread-pool tasks it holds, at most its threads: the rest wait ahead of them) and its
    /// coroutine-loop tasks in flight.
    /// </summary>
    public (int Threads, int Coroutines) Busy()
    {
        lock (_slotsGate)
        {
            return (Math.Min(_heldCount[0], Hello.Threads), _heldCount[1]);
        }
    }

    /// <summary>Adds the credits a message grants, up to the capacity the hello declared.</summary>
    public void AddCredits(int threads, int coroutines)
    {
        var added = false;
        lock (_slotsGate)
        {
            added |= AddCreditsLocked(0, threads);
            added |= AddCreditsLocked(1, coroutines);
        }
        if (added)
        {
            Wake.Set();
        }
    }

    private bool AddCreditsLocked(int slot, int credits)
    {
        var room = _capacity[slot] - _heldCount[slot] - _reserved[slot] - _credits[slot];
        var take = Math.Min(credits, room);
        if (take <= 0)
        {
            return false;
        }
        _credits[slot] += take;
        return true;
    }

    /// <summary>Takes up to <paramref name="max"/> credits of one kind for a lease; 0 when there are none.</summary>
    public int Reserve(ExecutionKind kind, int max)
    {
        lock (_slotsGate)
        {
            return ReserveLocked(Slot(kind), max);
        }
    }

    private int ReserveLocked(int slot, int max)
    {
        var take = Math.Min(_credits[slot], max);
        if (take <= 0)
        {
            return 0;
        }
        _credits[slot] -= take;
        _reserved[slot] += take;
        return take;
    }

    /// <summary>
    /// Sends the tasks leased with credits reserved of one kind, in messages of at most
    /// <see cref="WireLimits.MaxMessageBytes"/>, and gives back the credits left over.
    /// </summary>
    public void Assign(List<Assignment> leased, ExecutionKind kind, int reserved)
    {
        var slot = Slot(kind);
        var sentAt = System.Diagnostics.Stopwatch.GetTimestamp();
        lock (_slotsGate)
        {
            _reserved[slot] -= reserved;
            foreach (var assignment in leased)
            {
                if (_held.TryGetValue(assignment.TaskId, out var before))
                {
                    _heldCount[before.Kind]--;
                }
                _held[assignment.TaskId] = (assignment.Attempt, slot, assignment.Session, assignment.Name, sentAt);
                _heldCount[slot]++;
            }
            _credits[slot] += Math.Max(0, reserved - leased.Count);
        }
        if (leased.Count == 0)
        {
            return;
        }
        HopTrace.MarkEach("coordinator.assigned", leased, static a => a.TaskId);
        var message = new CoordinatorMessage();
        var bytes = 0;
        foreach (var assignment in leased)
        {
            var field = WireLimits.ElementBytes(assignment);
            if (message.Assignments.Count > 0 && bytes + field > WireLimits.MaxMessageBytes)
            {
                Send(message);
                message = new CoordinatorMessage();
                bytes = 0;
            }
            message.Assignments.Add(assignment);
            bytes += field;
        }
        Send(message);
    }

    /// <summary>
    /// Takes back a task the worker answered with a result: its slot counts as free again, and until
    /// <see cref="Committed"/> it is still the worker's in the store. The result goes to the session
    /// of the lease, whatever session the worker named. False when the connection does not hold that
    /// task at that attempt (it still holds what it held).
    /// </summary>
    public bool Answer(TaskResult result)
    {
        lock (_slotsGate)
        {
            if (!_held.Remove(result.TaskId, out var held))
            {
                return false;
            }
            if (held.Attempt != result.Attempt)
            {
                _held[result.TaskId] = held;
                return false;
            }
            _heldCount[held.Kind]--;
            _committing[result.TaskId] = (held.Name, held.SentAt);
            result.Session = held.Session;
            return true;
        }
    }

    /// <summary>
    /// Keeps the started and progress notices of tasks this connection holds at the notice's
    /// attempt, each given the session of its lease; removes the others (in place, order kept) and
    /// returns how many it removed.
    /// </summary>
    public int KeepOwnEvents(RepeatedField<TaskEvent> events)
    {
        var dropped = 0;
        lock (_slotsGate)
        {
            for (var i = events.Count - 1; i >= 0; i--)
            {
                var e = events[i];
                if (_held.TryGetValue(e.TaskId, out var held) && held.Attempt == e.Attempt)
                {
                    e.Session = held.Session;
                }
                else
                {
                    events.RemoveAt(i);
                    dropped++;
                }
            }
        }
        return dropped;
    }

    /// <summary>
    /// The results of tasks answered with <see cref="Answer"/> are in the store (or given up); with
    /// <paramref name="leases"/>, each one's name and when it was sent, in the order of <paramref name="results"/>.
    /// </summary>
    public void Committed(IReadOnlyList<TaskResult> results, (string Name, long SentAt)[]? leases = null)
    {
        lock (_slotsGate)
        {
            for (var i = 0; i < results.Count; i++)
            {
                if (_committing.Remove(results[i].TaskId, out var lease) && leases is not null)
                {
                    leases[i] = lease;
                }
            }
        }
    }

    /// <summary>The slots of one kind: how many hold a task (sent and not answered) and how many there are.</summary>
    public (int Busy, int Total) SlotUse(ExecutionKind kind)
    {
        var slot = Slot(kind);
        lock (_slotsGate)
        {
            return (_heldCount[slot], _capacity[slot]);
        }
    }

    /// <summary>Takes back tasks the worker hands back unstarted; returns those it held, with their attempts.</summary>
    public List<(string TaskId, int Attempt)> Release(IEnumerable<string> taskIds)
    {
        var released = new List<(string, int)>();
        lock (_slotsGate)
        {
            foreach (var id in taskIds)
            {
                if (_held.Remove(id, out var held))
                {
                    _heldCount[held.Kind]--;
                    released.Add((id, held.Attempt));
                }
            }
        }
        return released;
    }

    /// <summary>Every task the store may have leased to this worker for a reason this connection knows: held, or answered and not yet committed.</summary>
    public HashSet<string> KnownTaskIds()
    {
        lock (_slotsGate)
        {
            var known = new HashSet<string>(_held.Keys, StringComparer.Ordinal);
            known.UnionWith(_committing.Keys);
            return known;
        }
    }

    /// <summary>
    /// A store call that may have leased tasks to this worker went without its reply, or the store
    /// failed over and may have lost the completions of tasks this worker ran: the lease loop puts
    /// back the tasks the store holds leased to it that this connection does not hold (see <see cref="TakeReclaim"/>).
    /// </summary>
    public void ReclaimUnsent()
    {
        _reclaimDue = true;
        Wake.Set();
    }

    /// <summary>True once after <see cref="ReclaimUnsent"/>.</summary>
    public bool TakeReclaim()
    {
        if (!_reclaimDue)
        {
            return false;
        }
        _reclaimDue = false;
        return true;
    }

    /// <summary>
    /// Reserves credits for a submit that hands its tasks straight to this worker, unless the worker
    /// is draining, its stream has closed, hand-offs are paused or its outbox is full;
    /// <see cref="EndHandoff"/> follows each reservation.
    /// </summary>
    public int BeginHandoff(ExecutionKind kind, int max)
    {
        lock (_slotsGate)
        {
            if (_closed || _draining || _handoffsPaused || _ended is not null || OutboxFull)
            {
                return 0;
            }
            var reserved = ReserveLocked(Slot(kind), max);
            if (reserved > 0)
            {
                _handoffs++;
            }
            return reserved;
        }
    }

    public void EndHandoff()
    {
        lock (_slotsGate)
        {
            if (--_handoffs == 0)
            {
                _handoffsDone?.TrySetResult();
            }
        }
    }

    /// <summary>Takes no hand-offs until <see cref="ResumeHandoffs"/>; completes once those under way have been stored and sent.</summary>
    public Task PauseHandoffsAsync()
    {
        lock (_slotsGate)
        {
            _handoffsPaused = true;
            return HandoffsDoneLocked();
        }
    }

    public void ResumeHandoffs()
    {
        lock (_slotsGate)
        {
            _handoffsPaused = false;
        }
    }

    /// <summary>
    /// Takes no more hand-offs, and completes once those under way have been stored: the tasks they
    /// leased are then in the worker's leased set, which goes back to the queues after this.
    /// </summary>
    public Task CloseAsync()
    {
        lock (_slotsGate)
        {
            _closed = true;
            return HandoffsDoneLocked();
        }
    }

    private Task HandoffsDoneLocked()
    {
        if (_handoffs == 0)
        {
            return Task.CompletedTask;
        }
        if (_handoffsDone is null || _handoffsDone.Task.IsCompleted)
        {
            _handoffsDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        return _handoffsDone.Task;
    }
}
