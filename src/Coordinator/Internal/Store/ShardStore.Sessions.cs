using System.Text.Json;
using Cluster.Contracts;
using Cluster.Protocol.V1;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class ShardStore
{
    // A dead letter's completion carries the errors of its last attempts, up to this many.
    private const int MaxDeadLetterAttempts = 16;

    // The first read of a batch takes few entries: a completion may be megabytes.
    private const int FirstReadEntries = 8;

    /// <summary>Reads a session's completions after a cursor, oldest first.</summary>
    public async Task<List<Completion>> ReadCompletionsAsync(string session, long afterSeq, int max) =>
        (await ReadCompletionBatchAsync(session, afterSeq, max, int.MaxValue).ConfigureAwait(false)).Completions;

    /// <summary>
    /// Reads a session's completions after a cursor, oldest first, for one message: at most
    /// <paramref name="max"/>, and no more than <paramref name="maxBytes"/> in the message but always
    /// the first. <c>More</c> says the store may hold more after them.
    /// </summary>
    public async Task<(List<Completion> Completions, bool More)> ReadCompletionBatchAsync(string session, long afterSeq, int max, int maxBytes)
    {
        var list = new List<Completion>();
        var bytes = 0L;
        var largest = 1;
        var page = Math.Min(max, FirstReadEntries);
        while (true)
        {
            var entries = await _db.SortedSetRangeByScoreWithScoresAsync(keys.Outbox(session), afterSeq, double.PositiveInfinity, Exclude.Start, Order.Ascending, 0, page).ConfigureAwait(false);
            foreach (var e in entries)
            {
                var bytesOfEntry = (byte[])e.Element!;
                var c = bytesOfEntry.Length > 0 && bytesOfEntry[0] == (byte)'D' ? DeadLetterCompletion(bytesOfEntry.AsSpan(1)) : Completion.Parser.ParseFrom(bytesOfEntry);
                c.Seq = (long)e.Score;
                var size = WireLimits.ElementBytes(c);
                if (list.Count > 0 && bytes + size > maxBytes)
                {
                    return (list, true);
                }
                list.Add(c);
                bytes += size;
                largest = Math.Max(largest, size);
                afterSeq = c.Seq;
                if (list.Count == max)
                {
                    return (list, true);
                }
            }
            if (entries.Length < page)
            {
                return (list, false);
            }
            // As many as the room left holds at the largest size read so far (one more finds the end).
            page = (int)Math.Clamp((maxBytes - bytes) / largest + 1, 1, max - list.Count);
        }
    }

    /// <summary>Forgets completions the client has acknowledged.</summary>
    public Task AckAsync(string session, long upToSeq) =>
        _db.SortedSetRemoveRangeByScoreAsync(keys.Outbox(session), double.NegativeInfinity, upToSeq);

    /// <summary>The completion the scripts write (as JSON behind a 'D') when they dead-letter a task.</summary>
    private static Completion DeadLetterCompletion(ReadOnlySpan<byte> json)
    {
        var letter = JsonSerializer.Deserialize<DeadLetterNotice>(json, ErrorRecord.Json)!;
        var completion = new Completion
        {
            TaskId = letter.TaskId,
            Attempt = letter.Attempt,
            Worker = letter.Worker,
            DeadLettered = true,
        };
        // The last attempts' errors only, each bounded (as every error is when committed): the
        // completion fits in a message whatever the number of attempts.
        var errors = letter.Errors.Count <= MaxDeadLetterAttempts ? letter.Errors : letter.Errors[^MaxDeadLetterAttempts..];
        completion.Attempts.AddRange(errors.Select(ToTaskError));
        var last = letter.Errors.LastOrDefault();
        completion.Error = new TaskError
        {
            Type = last?.Type ?? "Cluster.DeadLettered",
            Message = $"dead-lettered: {letter.Reason}. "
                + (errors.Count < letter.Errors.Count ? $"({letter.Errors.Count - errors.Count} earlier attempts left out) " : string.Empty)
                + string.Join("; ", errors.Select(e => $"attempt {e.Attempt}: {e.Type}: {Cut(e.Message, 512)}")),
            StackTrace = last?.StackTrace ?? string.Empty,
            Attempt = letter.Attempt,
        };
        return completion;
    }

    private static TaskError ToTaskError(ErrorRecord e) =>
        new() { Type = e.Type, Message = e.Message, StackTrace = e.StackTrace, Attempt = e.Attempt };

    private sealed record DeadLetterNotice(string TaskId, int Attempt, string Worker, string Reason, List<ErrorRecord> Errors);
}
