using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class TaskStore
{
    /// <summary>
    /// The dashboard's counters of the ten-second buckets <paramref name="from"/> to <paramref name="to"/>
    /// (Unix seconds / 10), summed over the shards: one round trip to each shard.
    /// </summary>
    public async Task<Dictionary<long, Dictionary<string, long>>> ReadStatsAsync(long from, long to)
    {
        var all = await Task.WhenAll(_shards.Select(s => s.ReadStatsAsync(from, to))).ConfigureAwait(false);
        var merged = new Dictionary<long, Dictionary<string, long>>();
        foreach (var shard in all)
        {
            foreach (var (tens, entries) in shard)
            {
                if (!merged.TryGetValue(tens, out var fields))
                {
                    merged[tens] = fields = new Dictionary<string, long>(StringComparer.Ordinal);
                }
                foreach (var entry in entries)
                {
                    if (entry.Value.TryParse(out long n))
                    {
                        fields[(string)entry.Name!] = fields.GetValueOrDefault((string)entry.Name!) + n;
                    }
                }
            }
        }
        return merged;
    }
}
