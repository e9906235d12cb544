using System.Text.Json;
using Cluster.Protocol.V1;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class TaskStore
{
    /// <summary>Reads a session's completions after a cursor, oldest first.</summary>
    public async Task<List<Completion>> ReadCompletionsAsync(string session, long afterSeq, int max)
    {
        var entries = await _db.SortedSetRangeByScoreWithScoresAsync(keys.Outbox(session), afterSeq, double.PositiveInfinity, Exclude.Start, Order.Ascending, 0, max).ConfigureAwait(false);
        var list = new List<Completion>(entries.Length);
        foreach (var e in entries)
        {
            var bytes = (byte[])e.Element!;
            var c = bytes.Length > 0 && bytes[0] == (byte)'D' ? DeadLetterCompletion(bytes.AsSpan(1)) : Completion.Parser.ParseFrom(bytes);
            c.Seq = (long)e.Score;
            list.Add(c);
        }
        return list;
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
        completion.Attempts.AddRange(letter.Errors.Select(ToTaskError));
        var last = letter.Errors.LastOrDefault();
        completion.Error = new TaskError
        {
            Type = last?.Type ?? "Cluster.DeadLettered",
            Message = $"dead-lettered: {letter.Reason}. " + string.Join("; ", letter.Errors.Select(e => $"attempt {e.Attempt}: {e.Type}: {e.Message}")),
            StackTrace = last?.StackTrace ?? string.Empty,
            Attempt = letter.Attempt,
        };
        return completion;
    }

    private static TaskError ToTaskError(ErrorRecord e) =>
        new() { Type = e.Type, Message = e.Message, StackTrace = e.StackTrace, Attempt = e.Attempt };

    private sealed record DeadLetterNotice(string TaskId, int Attempt, string Worker, string Reason, List<ErrorRecord> Errors);
}
