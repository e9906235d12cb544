using System.Text.Json;
using Cluster.Protocol.V1;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class ShardStore
{
    // Completions moved to their home outbox per script call.
    private const int ForwardBatch = 500;

    /// <summary>
    /// Runs after a forward's completions are read and before they are appended to their home outbox;
    /// a hook that throws leaves them where they are, as a coordinator that dies there would.
    /// </summary>
    internal Func<Task>? BeforeAppend { get; set; }

    /// <summary>
    /// Of the sessions a script is about to write completions for, those homed on another shard;
    /// each is first noted in this shard's forwards, so that a coordinator that dies before it
    /// appends them leaves the reaper a trace. Null (and nothing run) when every one is at home.
    /// </summary>
    private async Task<List<string>?> StageAsync(IEnumerable<string> sessions)
    {
        if (layout.Count == 1)
        {
            return null;
        }
        List<string>? away = null;
        foreach (var session in sessions)
        {
            if (!IsHome(session))
            {
                (away ??= []).Add(session);
            }
        }
        if (away is not null)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await _db.SortedSetAddAsync(keys.Forwards, [.. away.Select(s => new SortedSetEntry(s, now))]).ConfigureAwait(false);
        }
        return away;
    }

    /// <summary>Moves the completions this shard wrote for sessions homed elsewhere into their home outbox.</summary>
    private async Task ForwardAsync(IEnumerable<string> sessions)
    {
        foreach (var session in sessions)
        {
            await MoveAsync(session, [shard]).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Moves the completions the shards <paramref name="from"/> wrote for a session homed elsewhere
    /// into its home outbox: one append (on the home shard) for all of them, deduplicated there by
    /// task id, then drops them where they were, hands them to this coordinator's stream of the
    /// session if it has one, and tells the others. Runs on any shard's store: it names every key.
    /// </summary>
    public async Task MoveAsync(string session, IReadOnlyList<int> from)
    {
        var home = layout[layout.HomeOf(session)];
        while (true)
        {
            var reads = await Task.WhenAll(from.Select(t => _db.SortedSetRangeByRankAsync(layout[t].Outbox(session), 0, ForwardBatch - 1))).ConfigureAwait(false);
            var entries = reads.SelectMany(r => r).ToList();
            if (entries.Count == 0)
            {
                return;
            }
            if (BeforeAppend is { } hook)
            {
                await hook().ConfigureAwait(false);
            }
            var args = new RedisValue[1 + entries.Count * 2];
            args[0] = _retentionSeconds;
            for (var i = 0; i < entries.Count; i++)
            {
                args[1 + i * 2] = TaskIdOf((byte[])entries[i]!);
                args[2 + i * 2] = entries[i];
            }
            var seqs = (RedisResult[])(await Scripts.Append.RunAsync(_db, [home.Outbox(session), home.OutboxSequence(session), home.Appended(session)], args).ConfigureAwait(false))!;
            // Appended (once per task id): the forwards may go; applied again, they would append nothing.
            await Task.WhenAll(from.Select((t, i) => reads[i].Length == 0 ? Task.CompletedTask : _db.SortedSetRemoveAsync(layout[t].Outbox(session), reads[i]))).ConfigureAwait(false);
            var written = new List<(string Session, Completion Completion)>(entries.Count);
            var deadLetters = false;
            for (var i = 0; i < entries.Count; i++)
            {
                var bytes = (byte[])entries[i]!;
                var seq = (long)seqs[i];
                if (seq == 0)
                {
                    continue;
                }
                if (bytes.Length > 0 && bytes[0] == (byte)'D')
                {
                    deadLetters = true;
                    continue;
                }
                var completion = Completion.Parser.ParseFrom(bytes);
                completion.Seq = seq;
                written.Add((session, completion));
            }
            local?.Deliver(written);
            await PublishDoneAsync([session], localWake: deadLetters).ConfigureAwait(false);
            if (reads.All(r => r.Length < ForwardBatch))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Appends the forwards noted longer than <paramref name="olderThan"/> ago (a coordinator died
    /// between its script and the append, or is slow: appending twice is harmless), up to
    /// <paramref name="max"/> sessions, and forgets those with nothing left. Returns how many sessions it looked at.
    /// </summary>
    public async Task<int> DrainForwardsAsync(TimeSpan olderThan, int max = 100)
    {
        if (layout.Count == 1)
        {
            return 0;
        }
        var cutoff = DateTimeOffset.UtcNow.Subtract(olderThan).ToUnixTimeMilliseconds();
        var stale = await _db.SortedSetRangeByScoreAsync(keys.Forwards, double.NegativeInfinity, cutoff, take: max).ConfigureAwait(false);
        foreach (var value in stale)
        {
            var session = (string)value!;
            await MoveAsync(session, [shard]).ConfigureAwait(false);
            await Scripts.ForgetForward.RunAsync(_db, [keys.Forwards, keys.Outbox(session)], [session, cutoff]).ConfigureAwait(false);
        }
        return stale.Length;
    }

    /// <summary>The task id of an outbox entry: a completion, or a dead letter's notice ('D' + JSON).</summary>
    private static string TaskIdOf(byte[] entry) =>
        entry.Length > 0 && entry[0] == (byte)'D'
            ? JsonSerializer.Deserialize<DeadLetterNotice>(entry.AsSpan(1), ErrorRecord.Json)!.TaskId
            : Completion.Parser.ParseFrom(entry).TaskId;
}
