using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class TaskStore
{
    /// <summary>
    /// Finds leased tasks whose worker is no longer registered and is not tracked in its worker's
    /// leased set (a store restored from an inconsistent point can hold such leases) and requeues
    /// them through the usual path. Returns how many it requeued or dead-lettered.
    /// </summary>
    public async Task<int> SweepOrphanedLeasesAsync()
    {
        var orphans = new Dictionary<string, List<RedisValue>>(StringComparer.Ordinal);
        var registered = new Dictionary<string, bool>(StringComparer.Ordinal);
        await foreach (var entry in _db.HashScanAsync(keys.Headers, pageSize: 1000).ConfigureAwait(false))
        {
            if (Header.Parse(entry.Value!) is not { State: 'l' } header)
            {
                continue;
            }
            if (!registered.TryGetValue(header.Worker, out var alive))
            {
                alive = (await _db.SortedSetScoreAsync(keys.Workers, header.Worker).ConfigureAwait(false)).HasValue;
                registered[header.Worker] = alive;
            }
            if (!alive)
            {
                if (!orphans.TryGetValue(header.Worker, out var ids))
                {
                    orphans[header.Worker] = ids = [];
                }
                ids.Add(entry.Name);
            }
        }
        var swept = 0;
        foreach (var (worker, ids) in orphans)
        {
            // Put the leases back in the worker's set, then requeue them as for any vanished worker.
            await _db.SetAddAsync(keys.Leased(worker), [.. ids]).ConfigureAwait(false);
            var (requeued, dead) = await RequeueAsync(worker, gone: true).ConfigureAwait(false);
            swept += Math.Max(0, requeued) + dead;
        }
        return swept;
    }
}
