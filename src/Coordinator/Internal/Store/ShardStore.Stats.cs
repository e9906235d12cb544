using Cluster.Protocol.V1;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class ShardStore
{
    /// <summary>Counts a submit batch for the dashboard, in memory: the tasks it stored (in all and per name), and the submit time of the sampled ones.</summary>
    private void CountSubmitted(IReadOnlyList<TaskSpec> tasks, List<(int Index, string ExistingTaskId)> refused, List<(int Index, long Queued)> full)
    {
        var stored = tasks.Count - refused.Count - full.Count;
        if (stats is null || stored <= 0)
        {
            return;
        }
        stats.AddSubmitted(stored);
        HashSet<int>? skipped = refused.Count + full.Count == 0 ? null : [.. refused.Select(r => r.Index), .. full.Select(f => f.Index)];
        long now = 0;
        // Per name, a run of one name at a time: a batch usually holds one name or a few.
        string? name = null;
        long count = 0;
        for (var i = 0; i < tasks.Count; i++)
        {
            if (skipped?.Contains(i) == true)
            {
                continue;
            }
            if (!string.Equals(tasks[i].Name, name, StringComparison.Ordinal))
            {
                if (count > 0)
                {
                    stats.AddSubmitted(name!, count);
                }
                (name, count) = (tasks[i].Name, 0);
            }
            count++;
            if (ClusterStats.Sampled(tasks[i].Id))
            {
                now = now == 0 ? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() : now;
                stats.AddSample(tasks[i].Id, now, finished: false);
            }
        }
        if (count > 0)
        {
            stats.AddSubmitted(name!, count);
        }
    }

    /// <summary>
    /// Counts a complete batch for the dashboard, in memory, from the script's verdicts (one letter per
    /// result: c, r, d or s): values committed, runs failed and their error types, and the end of
    /// sampled tasks that finished.
    /// </summary>
    private void CountCompleted(IReadOnlyList<TaskResult> results, Completion[] completions, string verdicts)
    {
        if (stats is null)
        {
            return;
        }
        int completed = 0, failed = 0;
        long now = 0;
        for (var i = 0; i < results.Count && i < verdicts.Length; i++)
        {
            var verdict = verdicts[i];
            if (verdict == 's')
            {
                continue;
            }
            if (completions[i].Error is { } error)
            {
                failed++;
                stats.AddFailure(error.Type);
            }
            else if (completions[i].OutcomeCase == Completion.OutcomeOneofCase.Result)
            {
                completed++;
            }
            if (verdict is 'c' or 'd' && ClusterStats.Sampled(results[i].TaskId))
            {
                now = now == 0 ? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() : now;
                stats.AddSample(results[i].TaskId, now, finished: true);
            }
        }
        stats.AddFinished(completed, failed);
    }

    /// <summary>
    /// Writes what a coordinator counted in a second into that second's bucket (one script call);
    /// returns the finished samples whose submit time the store does not hold yet.
    /// </summary>
    public async Task<IReadOnlyList<string>> WriteStatsAsync(ClusterStats.Taken taken, DateTimeOffset second)
    {
        var unix = second.ToUnixTimeSeconds();
        var args = new List<RedisValue>(10 + taken.FailureTypes.Count * 2 + taken.Names.Count * 5 + (taken.SubmittedSamples.Count + taken.FinishedSamples.Count) * 2)
        {
            (int)(unix % 10), StatsScript.KeepSeconds, second.ToUnixTimeMilliseconds(), taken.Submitted, taken.Completed, taken.Failed, taken.FailureTypes.Count,
        };
        foreach (var (type, count) in taken.FailureTypes)
        {
            args.Add(type);
            args.Add(count);
        }
        args.Add(taken.Names.Count);
        foreach (var name in taken.Names)
        {
            args.Add(name.Name);
            args.Add(name.In);
            args.Add(name.Out);
            args.Add(name.Runs);
            args.Add(name.RunMicros);
        }
        args.Add(taken.SubmittedSamples.Count);
        foreach (var (id, ms) in taken.SubmittedSamples.Concat(taken.FinishedSamples))
        {
            args.Add(id);
            args.Add(ms);
        }
        var missed = await _db.ScriptEvaluateAsync(StatsScript.Text, [keys.Stats(unix / 10), keys.Sampled], [.. args]).ConfigureAwait(false);
        return missed.IsNull ? [] : [.. ((RedisResult[])missed!).Select(r => (string)r!)];
    }

    /// <summary>When a sampled task was submitted (Unix ms), while it waits to finish; else null.</summary>
    public async Task<long?> SampledAtAsync(string id) =>
        await _db.SortedSetScoreAsync(keys.Sampled, id).ConfigureAwait(false) is { } at ? (long)at : null;

    /// <summary>The dashboard's counters of the ten-second buckets <paramref name="from"/> to <paramref name="to"/> (Unix seconds / 10), one round trip.</summary>
    public async Task<Dictionary<long, HashEntry[]>> ReadStatsAsync(long from, long to)
    {
        var batch = _db.CreateBatch();
        var reads = new List<(long Tens, Task<HashEntry[]> Read)>();
        for (var tens = from; tens <= to; tens++)
        {
            reads.Add((tens, batch.HashGetAllAsync(keys.Stats(tens))));
        }
        batch.Execute();
        await Task.WhenAll(reads.Select(r => r.Read)).ConfigureAwait(false);
        return reads.Where(r => r.Read.Result.Length > 0).ToDictionary(r => r.Tens, r => r.Read.Result);
    }
}
