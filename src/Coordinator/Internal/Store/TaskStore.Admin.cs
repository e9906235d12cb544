using System.Text.Json;
using Cluster.Protocol.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class TaskStore
{
    public async Task<StatusReply> StatusAsync()
    {
        var reply = new StatusReply();
        var handled = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in await _db.SortedSetRangeByRankWithScoresAsync(keys.Workers).ConfigureAwait(false))
        {
            var worker = (string)entry.Element!;
            var info = await _db.StringGetAsync(keys.WorkerInfo(worker)).ConfigureAwait(false);
            if (!info.HasValue)
            {
                continue;
            }
            var hello = Hello.Parser.ParseFrom((byte[])info!);
            var status = new WorkerStatus
            {
                WorkerId = worker,
                Host = hello.Host,
                ProcessId = hello.ProcessId,
                Threads = hello.Threads,
                Coroutines = hello.Coroutines,
                Leased = await _db.SetLengthAsync(keys.Leased(worker)).ConfigureAwait(false),
            };
            status.Tasks.AddRange(hello.Handlers.Select(h => h.Name));
            handled.UnionWith(status.Tasks);
            reply.Workers.Add(status);
        }
        foreach (var name in (await _db.SetMembersAsync(keys.Names).ConfigureAwait(false)).Select(n => (string)n!).Order(StringComparer.Ordinal))
        {
            reply.Queues.Add(new QueueStatus
            {
                Name = name,
                Queued = await _db.ListLengthAsync(keys.Queue(name)).ConfigureAwait(false),
                Waiting = !handled.Contains(name),
            });
        }
        return reply;
    }

    /// <summary>Lists dead letters (oldest first), or requeues one, or purges them all.</summary>
    public async Task<DeadLettersReply> DeadLettersAsync(DeadLettersRequest request)
    {
        var reply = new DeadLettersReply();
        if (request.Purge)
        {
            reply.Purged = await _db.HashLengthAsync(keys.DeadLetters).ConfigureAwait(false);
            await _db.KeyDeleteAsync(keys.DeadLetters).ConfigureAwait(false);
            return reply;
        }
        if (request.Requeue.Length > 0)
        {
            var record = await _db.HashGetAsync(keys.DeadLetters, request.Requeue).ConfigureAwait(false);
            if (record.HasValue)
            {
                var letter = Read(request.Requeue, record!);
                var redisKeys = keys.TaskKeys(2);
                redisKeys[7] = keys.Names;
                redisKeys[8] = keys.Queue(letter.Name);
                reply.Requeued = (int)await Scripts.Resurrect.RunAsync(_db, redisKeys, [request.Requeue, letter.Name]).ConfigureAwait(false);
                if (reply.Requeued > 0)
                {
                    await PublishReadyAsync([letter.Name]).ConfigureAwait(false);
                }
            }
            return reply;
        }
        var limit = request.Limit > 0 ? request.Limit : 100;
        var all = await _db.HashGetAllAsync(keys.DeadLetters).ConfigureAwait(false);
        reply.Total = all.Length;
        reply.Letters.AddRange(all.Select(e => Read((string)e.Name!, e.Value!)).OrderBy(l => l.AtUnixMs).Take(limit));
        return reply;
    }

    private static DeadLetter Read(string id, string json)
    {
        var record = JsonSerializer.Deserialize<DeadLetterRecord>(json, ErrorRecord.Json)!;
        var letter = new DeadLetter
        {
            TaskId = id,
            Name = record.Name,
            Session = record.Session,
            Attempt = record.Attempt,
            Reason = record.Reason,
            AtUnixMs = record.At,
            Args = ByteString.CopyFromUtf8(record.Args),
        };
        letter.Errors.AddRange(record.Errors.Select(ToTaskError));
        return letter;
    }

    private sealed record DeadLetterRecord(string Name, string Session, int Attempt, string Reason, long At, string Args, List<ErrorRecord> Errors);
}
