using Cluster.Coordinator.Internal.Store;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Queues;

/// <summary>
/// The item-queue calls parked in this coordinator — gets of an empty queue, puts of a full one,
/// joins — each on a <see cref="Signal"/> under its kind and queue. A notice on the store's queue
/// channel (published by whichever coordinator's script changed the queue) sets every signal of
/// its kind and queue; a restored store connection sets them all, since notices may have been
/// missed while it was down.
/// </summary>
internal sealed class ItemQueueWaiters
{
    /// <summary>A parked get: woken when items arrive.</summary>
    public const char Getter = 'g';

    /// <summary>A parked put: woken when items leave.</summary>
    public const char Putter = 'p';

    /// <summary>A parked join: woken when the unfinished count reaches 0.</summary>
    public const char Joiner = 'j';

    private readonly Dictionary<string, HashSet<Signal>> _parked = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public ItemQueueWaiters(IConnectionMultiplexer redis, ItemQueueStore store)
    {
        redis.GetSubscriber().Subscribe(store.Channel, (_, message) => Wake(message!));
        redis.ConnectionRestored += (_, _) => WakeAll();
    }

    /// <summary>Parks <paramref name="signal"/> until the returned registration is disposed.</summary>
    public Registration Park(char kind, string queue, Signal signal)
    {
        var key = kind + queue;
        lock (_gate)
        {
            if (!_parked.TryGetValue(key, out var set))
            {
                _parked[key] = set = [];
            }
            set.Add(signal);
        }
        return new Registration(this, key, signal);
    }

    /// <summary>How many calls are parked here now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _parked.Values.Sum(s => s.Count);
            }
        }
    }

    private void Wake(string message)
    {
        Signal[] woken;
        lock (_gate)
        {
            if (!_parked.TryGetValue(message, out var set))
            {
                return;
            }
            woken = [.. set];
        }
        // Outside the lock: a woken call's continuation may run inline and park again.
        foreach (var signal in woken)
        {
            signal.Set();
        }
    }

    private void WakeAll()
    {
        Signal[] woken;
        lock (_gate)
        {
            woken = [.. _parked.Values.SelectMany(s => s)];
        }
        foreach (var signal in woken)
        {
            signal.Set();
        }
    }

    private void Leave(string key, Signal signal)
    {
        lock (_gate)
        {
            if (_parked.TryGetValue(key, out var set) && set.Remove(signal) && set.Count == 0)
            {
                _parked.Remove(key);
            }
        }
    }

    /// <summary>A parked signal; disposing it unparks it.</summary>
    public readonly struct Registration(ItemQueueWaiters owner, string key, Signal signal) : IDisposable
    {
        public void Dispose() => owner.Leave(key, signal);
    }
}
