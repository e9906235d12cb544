using System.Text.Json;
using Cluster.Protocol.V1;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class TaskStore
{
    /// <summary>
    /// Where a task stands, for Tasks.Attach: its completion when it finished within the retention
    /// (kept by the complete and cancel scripts, or read from its dead letter), else the session
    /// that submitted it while it is still in the store; neither when the id is unknown.
    /// The header is read first: a task leaves the headers in the same script that keeps its
    /// completion, so a task without a header has its completion kept, or is unknown.
    /// </summary>
    public async Task<(Completion? Completion, string? PendingSession)> LookupAsync(string id)
    {
        var (completion, header) = await PeekAsync(id).ConfigureAwait(false);
        return (completion, header?.Session);
    }

    /// <summary>The task's completion when it finished within the retention, else its header while it is in the store; neither when unknown.</summary>
    public async Task<(Completion? Completion, Header? Pending)> PeekAsync(string id)
    {
        var header = await _db.HashGetAsync(keys.Headers, id).ConfigureAwait(false);
        if (header.HasValue && Header.Parse(header!) is { } h)
        {
            return (null, h);
        }
        return (await FinishedAsync(id).ConfigureAwait(false), null);
    }

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
