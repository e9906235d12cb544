using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// The item queues in the store: one script per operation (<see cref="QueueScripts"/>), and the
/// notice that wakes whoever waits for what the operation changed.
/// </summary>
internal sealed class ItemQueueStore(IConnectionMultiplexer redis, CoordinatorOptions options)
{
    private readonly string _prefix = options.KeyPrefix;
    private readonly RedisChannel _channel = ItemQueueKeys.Channel(options.KeyPrefix);

    /// <summary>The channel <see cref="Queues.ItemQueueWaiters"/> listens on.</summary>
    public RedisChannel Channel => _channel;

    /// <summary>Appends unless the queue holds <paramref name="maxSize"/> items (0: no bound); false when full.</summary>
    public async Task<bool> PutAsync(string queue, ReadOnlyMemory<byte> item, int maxSize)
    {
        var r = (RedisResult[])(await Run(QueueScripts.Put, queue, [item, maxSize]).ConfigureAwait(false))!;
        await WakeAsync(queue, (int)r[1]).ConfigureAwait(false);
        return (int)r[0] == 1;
    }

    /// <summary>Takes the oldest item; with <paramref name="leaseMs"/> above 0, holds it under a receipt.</summary>
    public async Task<TakenItem> GetAsync(string queue, long leaseMs)
    {
        var r = (RedisResult[])(await Run(QueueScripts.Get, queue, [leaseMs]).ConfigureAwait(false))!;
        await WakeAsync(queue, (int)r[1]).ConfigureAwait(false);
        if ((int)r[0] == 0)
        {
            return new TakenItem(false, default, 0, string.Empty, (long)r[2]);
        }
        var entry = (byte[])r[2]!;
        var bar = Array.IndexOf(entry, (byte)'|');
        var delivered = int.Parse(entry.AsSpan(0, bar), provider: System.Globalization.CultureInfo.InvariantCulture);
        return new TakenItem(true, entry.AsMemory(bar + 1), delivered, (string)r[3]!, 0);
    }

    /// <summary>Marks one item done, acknowledging the held item of <paramref name="receipt"/> when given.</summary>
    public async Task<TaskDoneOutcome> TaskDoneAsync(string queue, string receipt)
    {
        var r = (RedisResult[])(await Run(QueueScripts.TaskDone, queue, [receipt]).ConfigureAwait(false))!;
        switch ((int)r[0])
        {
            case 0:
                return TaskDoneOutcome.Lost;
            case -1:
                return TaskDoneOutcome.NoneUnfinished;
            default:
                await WakeAsync(queue, (int)r[1]).ConfigureAwait(false);
                return TaskDoneOutcome.Done;
        }
    }

    /// <summary>Extends the leases of the receipts to <paramref name="leaseMs"/> from now; answers those no longer held.</summary>
    public async Task<string[]> RenewAsync(string queue, long leaseMs, IReadOnlyList<string> receipts)
    {
        var args = new RedisValue[receipts.Count + 1];
        args[0] = leaseMs;
        for (var i = 0; i < receipts.Count; i++)
        {
            args[i + 1] = receipts[i];
        }
        var r = (RedisResult[])(await Run(QueueScripts.Renew, queue, args).ConfigureAwait(false))!;
        return [.. r.Select(x => (string)x!)];
    }

    /// <summary>The queue's length, unfinished and held counts; with <paramref name="join"/>, flags a waiting join when any is unfinished.</summary>
    public async Task<(long Count, long Unfinished, long Held)> InfoAsync(string queue, bool join)
    {
        var r = (RedisResult[])(await Run(QueueScripts.Info, queue, [join ? 1 : 0]).ConfigureAwait(false))!;
        await WakeAsync(queue, (int)r[3]).ConfigureAwait(false);
        return ((long)r[0], (long)r[1], (long)r[2]);
    }

    private Task<RedisResult> Run(Script script, string queue, RedisValue[] args) =>
        script.RunAsync(redis.GetDatabase(), new ItemQueueKeys(_prefix, queue).All, args);

    /// <summary>Publishes a notice per kind of waiter the script said to wake (every coordinator hears it, this one too).</summary>
    private async Task WakeAsync(string queue, int wake)
    {
        if (wake == 0)
        {
            return;
        }
        var subscriber = redis.GetSubscriber();
        if ((wake & 1) != 0)
        {
            await subscriber.PublishAsync(_channel, "g" + queue).ConfigureAwait(false);
        }
        if ((wake & 2) != 0)
        {
            await subscriber.PublishAsync(_channel, "p" + queue).ConfigureAwait(false);
        }
        if ((wake & 4) != 0)
        {
            await subscriber.PublishAsync(_channel, "j" + queue).ConfigureAwait(false);
        }
    }
}

/// <summary>What a get found: the item, the times it was handed out before, its receipt; when none, the ms until a held item's lease runs out (0: none held).</summary>
internal readonly record struct TakenItem(bool Found, ReadOnlyMemory<byte> Item, int Redelivered, string Receipt, long NextExpiryMs);

/// <summary>What a task-done did.</summary>
internal enum TaskDoneOutcome
{
    /// <summary>Counted.</summary>
    Done,

    /// <summary>The receipt's lease had run out: the item is back in the queue; not counted.</summary>
    Lost,

    /// <summary>No item is unfinished: called more times than items were put.</summary>
    NoneUnfinished,
}
