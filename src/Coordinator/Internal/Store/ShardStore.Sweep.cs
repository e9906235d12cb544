using System.Globalization;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class ShardStore
{
    /// <summary>
    /// One step of the sweep for leased tasks whose worker is no longer registered and is not
    /// tracked in its worker's leased set (a store restored from an inconsistent point can hold
    /// such leases): reads one page of about <paramref name="pageSize"/> task headers from
    /// <paramref name="cursor"/> (0 to begin) and requeues the orphans it finds through the usual
    /// path. Returns how many it requeued or dead-lettered, and the cursor of the next page (0 when
    /// the sweep is complete).
    /// </summary>
    /// <remarks>
    /// Such a lease is by definition in no index (a leased set would have let the reaper find it), so
    /// only the headers can reveal it: no smaller structure can stand in for them. What is bounded
    /// instead is each step — one HSCAN page, a few milliseconds of the store's time, however large
    /// the backlog — and the reaper paces the steps, so a sweep after a reconnect never stalls the
    /// store or the reaper's other work behind a read of millions of tasks.
    /// </remarks>
    public async Task<(int Swept, long Next)> SweepOrphanedLeasesAsync(long cursor, int pageSize = 1000)
    {
        var page = (RedisResult[])(await _db.ExecuteAsync("HSCAN", keys.Headers, cursor.ToString(CultureInfo.InvariantCulture), "COUNT", pageSize).ConfigureAwait(false))!;
        var next = long.Parse((string)page[0]!, CultureInfo.InvariantCulture);
        var entries = (RedisResult[])page[1]!;
        var orphans = new Dictionary<string, List<RedisValue>>(StringComparer.Ordinal);
        var registered = new Dictionary<string, bool>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < entries.Length; i += 2)
        {
            if (Header.Parse((string)entries[i + 1]!) is not { State: 'l' } header)
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
                ids.Add((string)entries[i]!);
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
        return (swept, next);
    }
}
