using Cluster.Coordinator.Internal.Store;

namespace Cluster.Coordinator.Internal.Dashboard;

/// <summary>
/// The cluster-wide rates every coordinator writes to the store (<see cref="StatsScript"/>): tasks
/// submitted, completed and failed per second over the last five minutes, the submit-to-end time of
/// sampled tasks, failed runs by error type, and each task name's rates in and out and mean run time
/// (over the two newest buckets: the last 10 to 20 seconds). The first read after a page opens takes the
/// whole reach (31 buckets, one round trip); each later one only the two newest buckets, which may still grow.
/// </summary>
internal sealed class DashboardStats
{
    /// <summary>Seconds the charts reach back.</summary>
    public const int Reach = 300;

    /// <summary>The latest second taken as complete: later ones may still be written by coordinators a little behind.</summary>
    public const int Settle = 2;

    /// <summary>Seconds the rates shown as numbers are averaged over.</summary>
    public const int Recent = 5;

    /// <summary>Seconds the latency percentiles cover.</summary>
    public const int LatencyWindow = 60;

    private readonly Dictionary<long, Dictionary<string, long>> _buckets = [];

    /// <summary>The figures of one read.</summary>
    /// <param name="Second">The last second the series cover (Unix seconds).</param>
    /// <param name="Submitted">Tasks submitted in each second, the oldest first (<see cref="Reach"/> of them).</param>
    /// <param name="Completed">Tasks completed with a value in each second.</param>
    /// <param name="Failed">Runs failed in each second (retried or not).</param>
    /// <param name="LatencyP50Ms">The median submit-to-end time of the sampled tasks that finished in the last minute; null: none did.</param>
    /// <param name="LatencyP99Ms">Its 99th percentile.</param>
    /// <param name="LatencySamples">How many sampled tasks finished in the last minute.</param>
    /// <param name="FailureTypes">Failed runs in the last five minutes by error type.</param>
    /// <param name="Names">Per task name, its rates over the two newest buckets (names past a bucket's bound are missing).</param>
    /// <param name="MeanRunMs">The mean run time (lease sent to result received) of every run that ended over the two newest buckets; null: none did.</param>
    /// <param name="NamesComplete">Neither of the two newest buckets reached its bound of names: a name missing from <paramref name="Names"/> had no tasks in or out.</param>
    public sealed record Figures(long Second, long[] Submitted, long[] Completed, long[] Failed, double? LatencyP50Ms, double? LatencyP99Ms, long LatencySamples,
        IReadOnlyDictionary<string, long> FailureTypes, IReadOnlyDictionary<string, NameRate> Names, double? MeanRunMs, bool NamesComplete)
    {
        /// <summary>The mean per second of the last <see cref="Recent"/> seconds of a series.</summary>
        public static double Rate(long[] series) => series.Length == 0 ? 0 : series.TakeLast(Recent).Sum() / (double)Math.Min(Recent, series.Length);
    }

    /// <summary>A task name's figures, the whole cluster's.</summary>
    /// <param name="In">Tasks stored per second.</param>
    /// <param name="Out">Tasks out per second: runs that ended their task (a value, a final error, a dead letter, a cancellation).</param>
    /// <param name="MeanRunMs">The mean time of its runs that ended; null: none did.</param>
    public readonly record struct NameRate(double In, double Out, double? MeanRunMs);

    /// <summary>Forgets what was read (no page is open).</summary>
    public void Reset() => _buckets.Clear();

    /// <summary>Reads the buckets that may have changed and renders the figures as of <paramref name="now"/>.</summary>
    public async Task<Figures> UpdateAsync(TaskStore store, DateTimeOffset now)
    {
        var second = now.ToUnixTimeSeconds();
        var newest = second / 10;
        var oldest = (second - Reach - Settle) / 10;
        var from = _buckets.Count == 0 ? oldest : newest - 1;
        var read = await store.ReadStatsAsync(from, newest).ConfigureAwait(false);
        for (var tens = from; tens <= newest; tens++)
        {
            if (read.TryGetValue(tens, out var fields))
            {
                // The names' counts are read from the two newest buckets only: older ones need not keep them.
                _buckets[tens] = tens >= newest - 1 ? fields : fields.Where(f => !IsName(f.Key)).ToDictionary(StringComparer.Ordinal);
            }
            else
            {
                _buckets.Remove(tens);
            }
        }
        foreach (var old in _buckets.Keys.Where(k => k < oldest).ToList())
        {
            _buckets.Remove(old);
        }
        var (names, meanRun) = NameRates(newest, second - (newest - 1) * 10);
        var complete = !_buckets.Where(b => b.Key >= newest - 1).Any(b => b.Value.GetValueOrDefault("#n") >= ClusterStats.MaxNames);
        return Render(second - Settle) with { Names = names, MeanRunMs = meanRun, NamesComplete = complete };
    }

    /// <summary>A per-name field (<c>i|</c>, <c>o|</c>, <c>r|</c>, <c>t|</c>, see <see cref="StatsScript"/>).</summary>
    private static bool IsName(string field) => field.Length > 1 && field[1] == '|';

    /// <summary>Each name's rates over the buckets <paramref name="newest"/> − 1 and <paramref name="newest"/>, which span <paramref name="seconds"/> up to now.</summary>
    private (Dictionary<string, NameRate> Names, double? MeanRunMs) NameRates(long newest, long seconds)
    {
        var counts = new Dictionary<string, long[]>(StringComparer.Ordinal);
        for (var tens = newest - 1; tens <= newest; tens++)
        {
            if (!_buckets.TryGetValue(tens, out var fields))
            {
                continue;
            }
            foreach (var (field, n) in fields)
            {
                if (IsName(field) && "iort".IndexOf(field[0], StringComparison.Ordinal) is var kind and >= 0)
                {
                    var name = field[2..];
                    if (!counts.TryGetValue(name, out var c))
                    {
                        counts[name] = c = new long[4];
                    }
                    c[kind] += n;
                }
            }
        }
        var span = Math.Max(1, seconds);
        var names = counts.ToDictionary(p => p.Key, p => new NameRate(p.Value[0] / (double)span, p.Value[1] / (double)span,
            p.Value[2] == 0 ? null : p.Value[3] / 1000.0 / p.Value[2]), StringComparer.Ordinal);
        var runs = counts.Values.Sum(c => c[2]);
        return (names, runs == 0 ? null : counts.Values.Sum(c => c[3]) / 1000.0 / runs);
    }

    private Figures Render(long last)
    {
        var submitted = new long[Reach];
        var completed = new long[Reach];
        var failed = new long[Reach];
        var first = last - Reach + 1;
        for (var i = 0; i < Reach; i++)
        {
            var second = first + i;
            if (_buckets.TryGetValue(second / 10, out var fields))
            {
                var digit = (char)('0' + second % 10);
                submitted[i] = fields.GetValueOrDefault(digit + "s");
                completed[i] = fields.GetValueOrDefault(digit + "c");
                failed[i] = fields.GetValueOrDefault(digit + "f");
            }
        }
        var types = new Dictionary<string, long>(StringComparer.Ordinal);
        var latency = new SortedDictionary<int, long>();
        var latencyFrom = (last - LatencyWindow) / 10;
        foreach (var (tens, fields) in _buckets)
        {
            foreach (var (field, count) in fields)
            {
                if (field.StartsWith("e:", StringComparison.Ordinal))
                {
                    types[field[2..]] = types.GetValueOrDefault(field[2..]) + count;
                }
                else if (tens >= latencyFrom && field.Length > 1 && field[0] == 'l' && int.TryParse(field.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture, out var bucket))
                {
                    latency[bucket] = latency.GetValueOrDefault(bucket) + count;
                }
            }
        }
        var samples = latency.Values.Sum();
        return new Figures(last, submitted, completed, failed, Percentile(latency, samples, 0.50), Percentile(latency, samples, 0.99), samples, types,
            new Dictionary<string, NameRate>(StringComparer.Ordinal), null, true);
    }

    /// <summary>The upper bound of the histogram bucket that holds the given fraction of the samples; null when there are none.</summary>
    private static double? Percentile(SortedDictionary<int, long> histogram, long samples, double fraction)
    {
        if (samples == 0)
        {
            return null;
        }
        var rank = Math.Max(1, (long)Math.Ceiling(samples * fraction));
        long seen = 0;
        foreach (var (bucket, count) in histogram)
        {
            seen += count;
            if (seen >= rank)
            {
                return Math.Round(StatsScript.UpperMs(bucket), 1);
            }
        }
        return Math.Round(StatsScript.UpperMs(histogram.Keys.Last()), 1);
    }
}
