using System.Text.Json;
using Cluster.Protocol.V1;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class ShardStore
{
    /// <summary>
    /// The task's completion when it finished within the retention (kept by the complete and cancel
    /// scripts of this shard, or read from its dead letter), else its header while it is in this
    /// shard; neither when this shard does not hold it. The header is read first: a task leaves the
    /// headers in the same script that keeps its completion, so a task without a header has its
    /// completion kept, or is not here.
    /// </summary>
    public async Task<(Completion? Completion, Header? Pending)> PeekAsync(string id)
    {
        var header = await _db.HashGetAsync(keys.Headers, id).ConfigureAwait(false);
        if (header.HasValue && Header.Parse(header!) is { } h)
        {
            return (null, h);
        }
        return (await FinishedAsync(id).ConfigureAwait(false), null);
    }

    /// <summary>When a delayed task, or one waiting out a retry backoff, is due (Unix ms, the store's clock); null when it waits for nothing.</summary>
    public async Task<long?> DueAtAsync(string id) =>
        await _db.SortedSetScoreAsync(keys.Delayed, id).ConfigureAwait(false) is { } score ? (long)score : null;

    /// <summary>The errors of a task's failed attempts so far, oldest first.</summary>
    public async Task<List<TaskError>> ErrorsAsync(string id)
    {
        var errors = await _db.HashGetAsync(keys.Errors, id).ConfigureAwait(false);
        return errors.HasValue
            ? [.. JsonSerializer.Deserialize<List<ErrorRecord>>((byte[])errors!, ErrorRecord.Json)!.Select(ToTaskError)]
            : [];
    }

    /// <summary>A finished task's completion, kept for the retention; null when there is none.</summary>
    public async Task<Completion?> FinishedAsync(string id)
    {
        var kept = await _db.HashGetAsync(keys.Results, id).ConfigureAwait(false);
        if (kept.HasValue)
        {
            var bytes = (byte[])kept!;
            return bytes.Length > 0 && bytes[0] == (byte)'D' ? DeadLetterCompletion(bytes.AsSpan(1)) : Completion.Parser.ParseFrom(bytes);
        }
        var letter = await _db.HashGetAsync(keys.DeadLetters, id).ConfigureAwait(false);
        if (!letter.HasValue)
        {
            return null;
        }
        var record = JsonSerializer.Deserialize<DeadLetterRecord>((byte[])letter!, ErrorRecord.Json)!;
        return DeadLetterCompletion(JsonSerializer.SerializeToUtf8Bytes(
            new DeadLetterNotice(id, record.Attempt, string.Empty, record.Reason, record.Errors), ErrorRecord.Json));
    }
}
