namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class TaskStore
{
    /// <summary>
    /// Writes what this coordinator counted (<see cref="Stats"/>) into the bucket of <paramref name="second"/>
    /// on shard 0; returns the finished samples whose submit time is not in the store yet.
    /// </summary>
    public Task<IReadOnlyList<string>> WriteStatsAsync(ClusterStats.Taken taken, DateTimeOffset second) => _shards[0].WriteStatsAsync(taken, second);

    /// <summary>
    /// The dashboard's counters of the ten-second buckets <paramref name="from"/> to <paramref name="to"/>
    /// (Unix seconds / 10), as every coordinator wrote them on shard 0: one round trip.
    /// </summary>
    public async Task<Dictionary<long, Dictionary<string, long>>> ReadStatsAsync(long from, long to)
    {
        var merged = new Dictionary<long, Dictionary<string, long>>();
        foreach (var (tens, entries) in await _shards[0].ReadStatsAsync(from, to).ConfigureAwait(false))
        {
            var fields = merged[tens] = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var entry in entries)
            {
                if (entry.Value.TryParse(out long n))
                {
                    fields[(string)entry.Name!] = n;
                }
            }
        }
        return merged;
    }
}
