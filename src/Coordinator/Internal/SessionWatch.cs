using System.Collections.Concurrent;
using Cluster.Contracts;
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
    /// <summary>Notices sent in one message at most, in bytes; the rest of the message is for completions.</summary>
    public const int MaxEventBytesPerBatch = 32 * 1024;

    /// <summary>Handed-over completions kept for the stream at most, in bytes; past it they are dropped (the store has them).</summary>
    public const int MaxPendingBytes = 16 * 1024 * 1024;

    private const int MaxPendingEvents = 10_000;
    // A notice larger than this (a long progress message) is dropped: notices are advisory.
    private const int MaxEventBytes = 4 * 1024;
    private const int MaxPendingCompletions = 100_000;
    private readonly ConcurrentQueue<TaskEvent> _events = new();
    private readonly Lock _gate = new();
    // Pending completions are _completions[_head..]; taken ones are dropped from the front in bulk.
    private readonly List<Pending> _completions = [];
    private int _head;
    // The bytes of _completions[_head..] in a message.
    private long _pendingBytes;
    // Whether _completions[_head..] is in sequence order (completer loops of several workers interleave).
    private bool _sorted = true;
    // A new stream starts by reading the store: it resumes after the client's cursor.
    private bool _stale = true;

    public Signal Wake { get; } = new();

    /// <summary>The bytes of the handed-over completions the stream has not taken yet.</summary>
    public long PendingBytes
    {
        get
        {
            lock (_gate)
            {
                return _pendingBytes;
            }
        }
    }

    /// <summary>Queues a started or progress notice; past the bound, notices are dropped (they are advisory).</summary>
    public void Add(TaskEvent taskEvent)
    {
        if (_events.Count < MaxPendingEvents && WireLimits.ElementBytes(taskEvent) <= MaxEventBytes)
        {
            _events.Enqueue(taskEvent);
        }
    }

    /// <summary>
    /// Moves queued notices into <paramref name="batch"/>, up to <paramref name="maxBytes"/>; true when
    /// some are left for the next message. Only the stream's own loop takes notices.
    /// </summary>
    public bool DrainEventsInto(CompletionBatch batch, int maxBytes)
    {
        var bytes = 0;
        while (_events.TryPeek(out var e))
        {
            var size = WireLimits.ElementBytes(e);
            if (bytes + size > maxBytes)
            {
                return true;
            }
            _events.TryDequeue(out _);
            batch.Events.Add(e);
            bytes += size;
        }
        return false;
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
        var size = WireLimits.ElementBytes(completion);
        lock (_gate)
        {
            if (_completions.Count - _head >= MaxPendingCompletions || _pendingBytes + size > MaxPendingBytes)
            {
                // The client is not keeping up: drop them, the store has them all.
                _completions.Clear();
                _head = 0;
                _pendingBytes = 0;
                _sorted = true;
                _stale = true;
            }
            if (_completions.Count > _head && completion.Seq < _completions[^1].Completion.Seq)
            {
                _sorted = false;
            }
            _completions.Add(new Pending(completion, size));
            _pendingBytes += size;
        }
    }

    /// <summary>
    /// The completions handed over that follow <paramref name="cursor"/> without a gap, oldest first:
    /// at most <paramref name="max"/>, and no more than <paramref name="maxBytes"/> in a message but
    /// always the first; null when the stream must read the store instead.
    /// </summary>
    public List<Completion>? TakeFollowing(long cursor, int max, int maxBytes = int.MaxValue)
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
            var bytes = 0L;
            while (_head < _completions.Count && taken.Count < max)
            {
                var (c, size) = _completions[_head];
                if (c.Seq >= next)
                {
                    if (c.Seq != next || _stale || (taken.Count > 0 && bytes + size > maxBytes))
                    {
                        break;
                    }
                    taken.Add(c);
                    bytes += size;
                    next++;
                }
                // else: sent already, after a read of the store
                _pendingBytes -= size;
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

    private readonly record struct Pending(Completion Completion, int Size);

    private sealed class BySeq : IComparer<Pending>
    {
        public static readonly BySeq Instance = new();

        public int Compare(Pending x, Pending y) => x.Completion.Seq.CompareTo(y.Completion.Seq);
    }
}
