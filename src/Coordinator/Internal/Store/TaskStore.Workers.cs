using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class TaskStore
{
    /// <summary>
    /// Registers a worker for the connection <paramref name="token"/> on every shard (leasing checks
    /// the registration in the shard it leases from); false when another live connection holds the
    /// worker's id. Shard 0 decides; a registration another shard still holds for the id is that of
    /// a connection shard 0 no longer knows: its leases there go back, and the id is taken.
    /// </summary>
    public async Task<bool> RegisterAsync(string worker, string token, Hello hello)
    {
        if (!await _shards[0].RegisterAsync(worker, token, hello).ConfigureAwait(false))
        {
            return false;
        }
        for (var i = 1; i < _shards.Length; i++)
        {
            if (!await _shards[i].RegisterAsync(worker, token, hello).ConfigureAwait(false))
            {
                await _shards[i].RequeueAsync(worker, gone: true).ConfigureAwait(false);
                if (!await _shards[i].RegisterAsync(worker, token, hello).ConfigureAwait(false))
                {
                    return false;
                }
            }
        }
        return true;
    }

    /// <summary>
    /// Renews the lease of a worker's tasks on every shard (or, with <paramref name="renew"/> false,
    /// only looks); false when the connection no longer holds the registration on one of them.
    /// </summary>
    /// <param name="worker">The worker.</param>
    /// <param name="token">The connection that holds its registration.</param>
    /// <param name="renew">False: only look.</param>
    /// <param name="busy">When given, what the worker is busy with now, kept on shard 0 for the status (see <see cref="ShardStore.WriteBusy"/>).</param>
    public async Task<bool> HeartbeatAsync(string worker, string token, bool renew = true, (int Threads, int Coroutines)? busy = null)
    {
        if (busy is { } b)
        {
            _shards[0].WriteBusy(worker, b.Threads, b.Coroutines);
        }
        if (_one is not null)
        {
            return await _one.HeartbeatAsync(worker, token, renew).ConfigureAwait(false);
        }
        var held = await Task.WhenAll(_shards.Select(s => s.HeartbeatAsync(worker, token, renew))).ConfigureAwait(false);
        return held.All(h => h);
    }

    /// <inheritdoc cref="ShardStore.RegisterPoliciesAsync"/>
    public Task RegisterPoliciesAsync(Hello hello) => Task.WhenAll(_shards.Select(s => s.RegisterPoliciesAsync(hello)));

    /// <summary>Workers whose lease expired on some shard, how many retries are due, and how long until the next one (null: none waiting).</summary>
    public async Task<(string[] Expired, long Due, TimeSpan? Next)> DueAsync()
    {
        if (_one is not null)
        {
            return await _one.DueAsync().ConfigureAwait(false);
        }
        var all = await Task.WhenAll(_shards.Select(s => s.DueAsync())).ConfigureAwait(false);
        var next = all.Where(a => a.Next is not null).Select(a => a.Next!.Value).DefaultIfEmpty().Min();
        return ([.. all.SelectMany(a => a.Expired).Distinct(StringComparer.Ordinal)], all.Sum(a => a.Due), all.Any(a => a.Next is not null) ? next : null);
    }

    /// <summary>Puts a vanished worker's leased tasks back at the front of their queues, shard by shard, or dead-letters those past their bound.</summary>
    /// <inheritdoc cref="ShardStore.RequeueAsync" path="/param"/>
    /// <returns>Requeued and dead-lettered counts; Requeued is -1 when on every shard the worker turned out alive, or its registration not the connection's.</returns>
    public async Task<(int Requeued, int DeadLettered)> RequeueAsync(string worker, bool gone, string? token = null)
    {
        if (_one is not null)
        {
            return await _one.RequeueAsync(worker, gone, token).ConfigureAwait(false);
        }
        var (requeued, dead, refused) = (0, 0, 0);
        foreach (var shard in _shards)
        {
            var (r, d) = await shard.RequeueAsync(worker, gone, token).ConfigureAwait(false);
            if (r < 0)
            {
                refused++;
                continue;
            }
            requeued += r;
            dead += d;
        }
        return (refused == _shards.Length ? -1 : requeued, dead);
    }

    /// <inheritdoc cref="ShardStore.ReleaseAsync"/>
    public async Task<int> ReleaseAsync(string worker, IReadOnlyList<string> names, IReadOnlyList<(string TaskId, int? Attempt)> tasks)
    {
        if (_one is not null)
        {
            return await _one.ReleaseAsync(worker, names, tasks).ConfigureAwait(false);
        }
        var released = 0;
        foreach (var (shard, positions) in Group(tasks.Count, i => ShardOf(tasks[i].TaskId)))
        {
            released += await _shards[shard].ReleaseAsync(worker, names, [.. positions.Select(i => tasks[i])]).ConfigureAwait(false);
            foreach (var i in positions)
            {
                _placed.TryRemove(tasks[i].TaskId, out _);
            }
        }
        return released;
    }

    /// <inheritdoc cref="ShardStore.ReclaimUnsentAsync"/>
    public async Task<int> ReclaimUnsentAsync(string worker, IReadOnlyList<string> names, IReadOnlySet<string> known)
    {
        var n = 0;
        foreach (var shard in _shards)
        {
            n += await shard.ReclaimUnsentAsync(worker, names, known).ConfigureAwait(false);
        }
        return n;
    }

    /// <inheritdoc cref="ShardStore.PromoteAsync"/>
    public async Task<int> PromoteAsync()
    {
        var n = 0;
        foreach (var shard in _shards)
        {
            n += await shard.PromoteAsync().ConfigureAwait(false);
        }
        return n;
    }

    /// <summary>
    /// One step of the sweep for orphaned leases (see <see cref="ShardStore.SweepOrphanedLeasesAsync"/>),
    /// shard after shard: the cursor holds the shard's cursor times the shard count, plus the shard.
    /// </summary>
    public async Task<(int Swept, long Next)> SweepOrphanedLeasesAsync(long cursor, int pageSize = 1000)
    {
        if (_one is not null)
        {
            return await _one.SweepOrphanedLeasesAsync(cursor, pageSize).ConfigureAwait(false);
        }
        var count = _shards.Length;
        var shard = (int)(cursor % count);
        var (swept, next) = await _shards[shard].SweepOrphanedLeasesAsync(cursor / count, pageSize).ConfigureAwait(false);
        if (next != 0)
        {
            return (swept, next * count + shard);
        }
        // This shard is swept: the next begins (0 when it was the last).
        return (swept, shard + 1 < count ? shard + 1 : 0);
    }
}
