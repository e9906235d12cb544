using Cluster.Protocol.V1;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class ShardStore
{
    /// <summary>
    /// Counts a submit batch for the dashboard: how many tasks it stored, and notes the submit time of
    /// the sampled ones. One script call a batch, sent without waiting for its reply.
    /// </summary>
    private void CountSubmitted(IReadOnlyList<TaskSpec> tasks, List<(int Index, string ExistingTaskId)> refused, List<(int Index, long Queued)> full)
    {
        var stored = tasks.Count - refused.Count - full.Count;
        if (stored <= 0)
        {
            return;
        }
        List<RedisValue>? sampled = null;
        HashSet<int>? skipped = null;
        for (var i = 0; i < tasks.Count; i++)
        {
            if (!StatsScript.Sampled(tasks[i].Id))
            {
                continue;
            }
            skipped ??= [.. refused.Select(r => r.Index), .. full.Select(f => f.Index)];
            if (!skipped.Contains(i))
            {
                (sampled ??= []).Add(tasks[i].Id);
            }
        }
        WriteStats(stored, 0, 0, null, sampled is null ? null : "s", sampled);
    }

    /// <summary>
    /// Counts a complete batch for the dashboard from the script's verdicts (one letter per result: c,
    /// r, d or s): values committed, runs failed and their error types, and the submit-to-end time of
    /// sampled tasks that finished. One script call a batch, sent without waiting for its reply.
    /// </summary>
    private void CountCompleted(IReadOnlyList<TaskResult> results, Completion[] completions, string verdicts)
    {
        int completed = 0, failed = 0;
        Dictionary<string, int>? types = null;
        List<RedisValue>? finished = null;
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
                types ??= new(StringComparer.Ordinal);
                types[error.Type] = types.GetValueOrDefault(error.Type) + 1;
            }
            else if (completions[i].OutcomeCase == Completion.OutcomeOneofCase.Result)
            {
                completed++;
            }
            if (verdict is 'c' or 'd' && StatsScript.Sampled(results[i].TaskId))
            {
                (finished ??= []).Add(results[i].TaskId);
            }
        }
        if (completed + failed > 0 || finished is not null)
        {
            WriteStats(0, completed, failed, types, finished is null ? null : "c", finished);
        }
    }

    private void WriteStats(int submitted, int completed, int failed, Dictionary<string, int>? types, string? mode, List<RedisValue>? ids)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var args = new List<RedisValue>(7 + (types?.Count ?? 0) * 2 + (ids?.Count ?? 0))
        {
            (int)(now % 10), StatsScript.KeepSeconds, submitted, completed, failed, types?.Count ?? 0,
        };
        foreach (var (type, count) in types ?? [])
        {
            args.Add(type);
            args.Add(count);
        }
        if (mode is not null)
        {
            args.Add(mode);
            args.AddRange(ids!);
        }
        // A figure for people: not awaited, and a lost one is not retried.
        _db.ScriptEvaluate(StatsScript.Text, [keys.Stats(now / 10), keys.Sampled], [.. args], CommandFlags.FireAndForget);
    }

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
