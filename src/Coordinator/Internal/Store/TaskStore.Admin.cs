using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class TaskStore
{
    /// <summary>The workers (with the tasks they hold on every shard) and the queues (their tasks summed over the shards).</summary>
    public async Task<StatusReply> StatusAsync()
    {
        if (_one is not null)
        {
            return await _one.StatusAsync().ConfigureAwait(false);
        }
        var all = await Task.WhenAll(_shards.Select(s => s.StatusAsync())).ConfigureAwait(false);
        var reply = all[0].Clone();
        var leased = all.Skip(1).SelectMany(r => r.Workers).GroupBy(w => w.WorkerId).ToDictionary(g => g.Key, g => g.Sum(w => w.Leased));
        foreach (var worker in reply.Workers)
        {
            worker.Leased += leased.GetValueOrDefault(worker.WorkerId);
        }
        reply.Queues.Clear();
        reply.Queues.AddRange(all.SelectMany(r => r.Queues)
            .GroupBy(q => (q.Name, q.Queue))
            .OrderBy(g => g.Key.Name, StringComparer.Ordinal).ThenBy(g => g.Key.Queue, StringComparer.Ordinal)
            .Select(g => new QueueStatus { Name = g.Key.Name, Queue = g.Key.Queue, Queued = g.Sum(q => q.Queued), Waiting = g.All(q => q.Waiting), NoListener = g.All(q => q.NoListener) }));
        reply.Store += $", in {_shards.Length} shards";
        return reply;
    }

    /// <summary>
    /// Lists a page of dead letters (oldest first, over every shard), or requeues one (from the
    /// shard that holds it), or purges them all.
    /// </summary>
    public async Task<DeadLettersReply> DeadLettersAsync(DeadLettersRequest request)
    {
        if (_one is not null)
        {
            return await _one.DeadLettersAsync(request).ConfigureAwait(false);
        }
        var reply = new DeadLettersReply();
        if (request.Purge || request.Requeue.Length > 0)
        {
            foreach (var shard in _shards)
            {
                var one = await shard.DeadLettersAsync(request).ConfigureAwait(false);
                reply.Purged += one.Purged;
                reply.Requeued += one.Requeued;
                if (one.Requeued > 0)
                {
                    break;
                }
            }
            return reply;
        }
        // Each shard's first pages up to this one, merged by time: the page is among them.
        var limit = request.Limit > 0 ? request.Limit : 100;
        var first = (long)Math.Max(0, request.Page) * limit;
        var upTo = new DeadLettersRequest { Page = 0, Limit = (int)Math.Min(int.MaxValue, first + limit) };
        var all = await Task.WhenAll(_shards.Select(s => s.DeadLettersAsync(upTo))).ConfigureAwait(false);
        reply.Total = all.Sum(r => r.Total);
        reply.Letters.AddRange(all.SelectMany(r => r.Letters).OrderBy(l => l.AtUnixMs).ThenBy(l => l.TaskId, StringComparer.Ordinal).Skip((int)first).Take(limit));
        return reply;
    }

    /// <summary>Requeues every dead letter of the task name <paramref name="name"/>, shard by shard. Returns how many it requeued.</summary>
    public async Task<int> RequeueNameAsync(string name)
    {
        var requeued = 0;
        foreach (var shard in _shards)
        {
            requeued += await shard.RequeueNameAsync(name).ConfigureAwait(false);
        }
        return requeued;
    }

    /// <summary>How many dead letters there are, summed over the shards (one read of each shard's index).</summary>
    public async Task<long> DeadLetterCountAsync() =>
        (await Task.WhenAll(_shards.Select(s => s.DeadLetterCountAsync())).ConfigureAwait(false)).Sum();

    /// <inheritdoc cref="ShardStore.ExpireDeadLettersAsync"/>
    public async Task<int> ExpireDeadLettersAsync(int max)
    {
        var n = 0;
        foreach (var shard in _shards)
        {
            n += await shard.ExpireDeadLettersAsync(max).ConfigureAwait(false);
        }
        return n;
    }
}
