namespace Cluster.Contracts;

/// <summary>How a <see cref="ClusterQueue{T}"/> is opened.</summary>
public sealed class ClusterQueueOptions
{
    /// <summary>
    /// The most items the queue holds: a put on a full queue waits (back-pressure), as Python's
    /// <c>queue.Queue(maxsize)</c>. 0 for no bound. Every process should open a queue with the same
    /// bound: each put checks its own. Default: 0.
    /// </summary>
    public int MaxSize { get; set; }

    /// <summary>
    /// At least once: an item a consumer took is held under a lease until its <see cref="ClusterQueue{T}.TaskDone"/>;
    /// the consumer renews the lease while it lives, and an item whose consumer died (or stopped
    /// renewing) goes back to the head of the queue when its lease runs out, for another consumer.
    /// Without it an item is gone from the store once taken, as in Python. Default: false.
    /// </summary>
    public bool AtLeastOnce { get; set; }

    /// <summary>
    /// How long a taken item is held without a renewal (with <see cref="AtLeastOnce"/>): how soon the
    /// item of a dead consumer comes back. The consumer renews every third of it. From 300 ms to a
    /// day. Default: 30 seconds.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        if (MaxSize < 0)
        {
            throw new ArgumentException($"MaxSize must be 0 (unbounded) or more, not {MaxSize}.", nameof(MaxSize));
        }
        if (LeaseDuration < TimeSpan.FromMilliseconds(300) || LeaseDuration > TimeSpan.FromDays(1))
        {
            throw new ArgumentException($"LeaseDuration must be from 300 ms to a day, not {LeaseDuration}.", nameof(LeaseDuration));
        }
    }
}
