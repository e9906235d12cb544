using System.Collections.Concurrent;
using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal;

/// <summary>
/// One open completion stream on this coordinator: its wake-up, its pending notices, and the
/// completions handed to it as they were written to its outbox. Those spare the stream a read of
/// the store; whenever they do not follow on from what it has sent (written by another
/// coordinator, by a cancel, a dead letter, or dropped past the bound), it reads the store instead.
/// </summary>
internal sealed class SessionWatch
{
    private const int MaxPendingEvents = 10_000;
    private const int MaxPendingCompletions = 100_000;
    private readonly ConcurrentQueue<TaskEvent> _events = new();
    private readonly Lock _gate = new();
    // Pending completions are _completions[_head..]; taken ones are dropped from the front in bulk.
    private readonly List<Completion> _completions = [];
    private int _head;
    // Whether _completions[_head..] is in sequence order (completer loops of several workers interleave).
    private bool _sorted = true;
    // A new stream starts by reading the store: it resumes after the client's cursor.
    private bool _stale = true;

    public Signal Wake { get; } = new();

    /// <summary>Queues a started or progress notice; past the bound, notices are dropped (they are advisory).</summary>
    public void Add(TaskEvent taskEvent)
    {
        if (_events.Count < MaxPendingEvents)
        {
            _events.Enqueue(taskEvent);
        }
    }

    public void DrainEventsInto(CompletionBatch batch)
    {
        while (batch.Events.Count < MaxPendingEvents && _events.TryDequeue(out var e))
        {
            batch.Events.Add(e);
        }
    }

    /// <summary>The store holds completions this stream has not been handed: read them, and wake.</summary>
    public void MarkStale()
    {
        lock (_gate)
        {
            _stale = true;
        }
        Wake.Set();
    }

    /// <summary>Keeps a completion just written to the outbox (with its sequence number) for the stream.</summary>
    public void Offer(Completion completion)
    {
        lock (_gate)
        {
            if (_completions.Count - _head >= MaxPendingCompletions)
            {
                // The client is not keeping up: drop them, the store has them all.
                _completions.Clear();
                _head = 0;
                _sorted = true;
                _stale = true;
            }
            if (_completions.Count > _head && completion.Seq < _completions[^1].Seq)
            {
                _sorted = false;
            }
            _completions.Add(completion);
        }
    }

    /// <summary>
    /// The completions handed over that follow <paramref name="cursor"/> without a gap, oldest first
    /// (at most <paramref name="max"/>); null when the stream must read the store instead.
    /// </summary>
    public List<Completion>? TakeFollowing(long cursor, int max)
    {
        lock (_gate)
        {
            if (!_sorted)
            {
                _completions.Sort(_head, _completions.Count - _head, BySeq.Instance);
                _sorted = true;
            }
            var taken = new List<Completion>(Math.Min(max, _completions.Count - _head));
            var next = cursor + 1;
            while (_head < _completions.Count && taken.Count < max)
            {
                var c = _completions[_head];
                if (c.Seq >= next)
                {
                    if (c.Seq != next || _stale)
                    {
                        break;
                    }
                    taken.Add(c);
                    next++;
                }
                // else: sent already, after a read of the store
                _head++;
            }
            if (_head == _completions.Count || _head > 4096)
            {
                _completions.RemoveRange(0, _head);
                _head = 0;
            }
            if (_stale)
            {
                _stale = false;
                return null;
            }
            if (taken.Count == 0 && _completions.Count > _head)
            {
                // A gap: what fills it is in the store only.
                return null;
            }
            return taken;
        }
    }

    private sealed class BySeq : IComparer<Completion>
    {
        public static readonly BySeq Instance = new();

        public int Compare(Completion? x, Completion? y) => x!.Seq.CompareTo(y!.Seq);
    }
}
