using System.Text.Json;
using Cluster.Protocol.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class ShardStore
{
    public async Task<StatusReply> StatusAsync()
    {
        var reply = new StatusReply();
        var handled = new HashSet<string>(StringComparer.Ordinal);
        var served = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in await _db.SortedSetRangeByRankWithScoresAsync(keys.Workers).ConfigureAwait(false))
        {
            var worker = (string)entry.Element!;
            var info = await _db.StringGetAsync(keys.WorkerInfo(worker)).ConfigureAwait(false);
            if (!info.HasValue)
            {
                continue;
            }
            var hello = Hello.Parser.ParseFrom((byte[])info!);
            var busy = (string?)await _db.StringGetAsync(keys.WorkerBusy(worker)).ConfigureAwait(false);
            var bar = busy?.IndexOf('|', StringComparison.Ordinal) ?? -1;
            var status = new WorkerStatus
            {
                WorkerId = worker,
                Host = hello.Host,
                ProcessId = hello.ProcessId,
                Threads = hello.Threads,
                Coroutines = hello.Coroutines,
                Leased = await _db.SetLengthAsync(keys.Leased(worker)).ConfigureAwait(false),
                // The score is the lease's deadline: the last heartbeat plus the lease time.
                HeartbeatUnixMs = (long)entry.Score - _leaseMs,
                Version = hello.Version,
                ThreadsBusy = bar > 0 && int.TryParse(busy.AsSpan(0, bar), System.Globalization.CultureInfo.InvariantCulture, out var threads) ? threads : 0,
                CoroutinesBusy = bar > 0 && int.TryParse(busy.AsSpan(bar + 1), System.Globalization.CultureInfo.InvariantCulture, out var coroutines) ? coroutines : 0,
            };
            status.Tasks.AddRange(hello.Handlers.Select(h => h.Name));
            handled.UnionWith(status.Tasks);
            served.UnionWith(Routes.Served(status.Tasks, hello.Queues));
            reply.Workers.Add(status);
        }
        // Each entry of the set is a route: a name (its default queue), or "name|queue".
        var routes = (await _db.SetMembersAsync(keys.Names).ConfigureAwait(false)).Select(n => (string)n!).Order(StringComparer.Ordinal).ToList();
        var tombstones = routes.Count == 0 ? [] : await _db.HashGetAsync(keys.NamePolicies, [.. routes.Select(n => (RedisValue)(string)keys.Queue(n)!)]).ConfigureAwait(false);
        for (var i = 0; i < routes.Count; i++)
        {
            var route = routes[i];
            var (name, queue) = Routes.Split(route);
            var length = (long)await Scripts.QueueLength.RunAsync(_db, [keys.Queue(route)], []).ConfigureAwait(false);
            // Cancelled tasks stay in the queue as tombstones until leasing skips them: not queued.
            var queued = Math.Max(0, length - (tombstones[i].TryParse(out long t) ? Math.Max(0, t) : 0));
            var unlistened = handled.Contains(name) && !served.Contains(route);
            var waiting = !handled.Contains(name) || unlistened;
            // A route nobody serves with nothing queued is forgotten: the set stays as small as the live routes.
            if (queued == 0 && waiting && (int)await Scripts.ForgetName.RunAsync(_db, [keys.Names, keys.NamePolicies, keys.Queue(route), keys.Headers], [route]).ConfigureAwait(false) == 1)
            {
                continue;
            }
            reply.Queues.Add(new QueueStatus { Name = name, Queue = queue, Queued = queued, Waiting = waiting, NoListener = unlistened });
        }
        reply.Store = StoreDescription();
        return reply;
    }

    /// <summary>"embedded Garnet at host:port", "redis host:port (server x.y.z)" or "redis cluster of N masters: host:port, ... (server x.y.z)".</summary>
    private string StoreDescription()
    {
        var endpoints = redis.GetEndPoints();
        var where = StoreAddress.Of(endpoints);
        if (options.Redis is null)
        {
            return "embedded Garnet at " + where;
        }
        // Read from INFO by the connection when it connected: no round trip.
        var version = endpoints.Length > 0 ? redis.GetServer(endpoints[0]).Version.ToString() : "unknown";
        // A cluster's endpoints are every node it discovered; the masters are those it reaches and that serve slots.
        var servers = endpoints.Select(e => redis.GetServer(e)).ToList();
        if (servers.Any(s => s.ServerType == ServerType.Cluster))
        {
            var masters = servers.Where(s => s.IsConnected && !s.IsReplica).Select(s => s.EndPoint).ToList();
            return $"redis cluster of {masters.Count} masters: {string.Join(", ", masters.Select(e => e is System.Net.DnsEndPoint dns ? $"{dns.Host}:{dns.Port}" : e.ToString()))} (server {version})";
        }
        return $"redis {where} (server {version})";
    }

    /// <summary>
    /// Lists a page of dead letters (oldest first) from their index by time, or requeues one, or
    /// purges them all. Reads only the page asked for.
    /// </summary>
    public async Task<DeadLettersReply> DeadLettersAsync(DeadLettersRequest request)
    {
        var reply = new DeadLettersReply();
        if (request.Purge)
        {
            reply.Purged = await _db.HashLengthAsync(keys.DeadLetters).ConfigureAwait(false);
            await _db.KeyDeleteAsync([keys.DeadLetters, keys.DeadLetterIndex]).ConfigureAwait(false);
            return reply;
        }
        if (request.Requeue.Length > 0)
        {
            var record = await _db.HashGetAsync(keys.DeadLetters, request.Requeue).ConfigureAwait(false);
            if (record.HasValue)
            {
                var letter = Read(request.Requeue, record!);
                var route = Routes.OfStored(letter.Name, OrderOf(record!));
                var redisKeys = keys.TaskKeys(4);
                redisKeys[7] = keys.Names;
                redisKeys[8] = keys.Queue(route);
                redisKeys[9] = keys.DeadLetterIndex;
                redisKeys[10] = keys.Revived;
                reply.Requeued = (int)await Scripts.Resurrect.RunAsync(_db, redisKeys, [request.Requeue, letter.Name]).ConfigureAwait(false);
                if (reply.Requeued > 0)
                {
                    await PublishReadyAsync([route]).ConfigureAwait(false);
                }
            }
            return reply;
        }
        var limit = request.Limit > 0 ? request.Limit : 100;
        var first = (long)Math.Max(0, request.Page) * limit;
        reply.Total = await _db.SortedSetLengthAsync(keys.DeadLetterIndex).ConfigureAwait(false);
        var ids = await _db.SortedSetRangeByRankAsync(keys.DeadLetterIndex, first, first + limit - 1).ConfigureAwait(false);
        if (ids.Length > 0)
        {
            var records = await _db.HashGetAsync(keys.DeadLetters, ids).ConfigureAwait(false);
            for (var i = 0; i < ids.Length; i++)
            {
                if (records[i].HasValue)
                {
                    reply.Letters.Add(Read((string)ids[i]!, records[i]!));
                }
            }
        }
        return reply;
    }

    /// <summary>
    /// One task by its id as this shard holds it: its header, its arguments' size and start, its
    /// errors so far (with each attempt's worker), its dead letter, its kept completion and when it
    /// finished, and when it was submitted where the store noted it. One round trip of nine reads;
    /// the arguments are cut to <paramref name="preview"/> characters.
    /// </summary>
    public async Task<TaskDescription> DescribeAsync(string id, int preview)
    {
        var batch = _db.CreateBatch();
        var header = batch.HashGetAsync(keys.Headers, id);
        var size = batch.HashStringLengthAsync(keys.Args, id);
        var args = batch.HashGetAsync(keys.Args, id);
        var errors = batch.HashGetAsync(keys.Errors, id);
        var dead = batch.HashGetAsync(keys.DeadLetters, id);
        var kept = batch.HashGetAsync(keys.Results, id);
        var finishedAt = batch.SortedSetScoreAsync(keys.ResultIndex, id);
        var sampledAt = batch.SortedSetScoreAsync(keys.Sampled, id);
        var trace = batch.HashGetAsync(keys.Policies, id + " t");
        batch.Execute();
        await Task.WhenAll(header, size, args, errors, dead, kept, finishedAt, sampledAt, trace).ConfigureAwait(false);
        var letter = dead.Result.HasValue ? Read(id, dead.Result!) : null;
        var argsText = args.Result.HasValue ? (string)args.Result! : letter?.Args.ToStringUtf8() ?? string.Empty;
        var records = errors.Result.HasValue
            ? JsonSerializer.Deserialize<List<ErrorRecord>>((string)errors.Result!, ErrorRecord.Json)!
            : dead.Result.HasValue ? JsonSerializer.Deserialize<DeadLetterRecord>((string)dead.Result!, ErrorRecord.Json)!.Errors : [];
        Completion? outcome = null;
        if (kept.Result.HasValue)
        {
            var bytes = (byte[])kept.Result!;
            outcome = bytes.Length > 0 && bytes[0] == (byte)'D' ? DeadLetterCompletion(bytes.AsSpan(1)) : Completion.Parser.ParseFrom(bytes);
        }
        return new TaskDescription(header.Result.HasValue ? Header.Parse(header.Result!) : null,
            args.Result.HasValue ? size.Result : argsText.Length,
            argsText.Length <= preview ? argsText : argsText[..preview], [.. records.Select(ToTaskError)], letter)
        {
            ErrorWorkers = [.. records.Select(r => r.Worker ?? string.Empty)],
            Outcome = outcome,
            FinishedAtMs = finishedAt.Result is { } f ? (long)f : null,
            SubmittedAtMs = sampledAt.Result is { } s ? (long)s : SubmittedOf(trace.Result),
        };
    }

    /// <summary>The submit time a traced task's stored context holds ("traceparent submitted-ms tracestate"); null without one.</summary>
    private static long? SubmittedOf(RedisValue trace)
    {
        var parts = trace.HasValue ? ((string)trace!).Split(' ') : [];
        return parts.Length >= 2 && long.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms) ? ms : null;
    }

    /// <summary>
    /// Requeues every dead letter of this shard of the task name <paramref name="name"/>, as
    /// <see cref="DeadLettersAsync"/> requeues one, reading the dead letters a page at a time.
    /// Returns how many it requeued.
    /// </summary>
    public async Task<int> RequeueNameAsync(string name)
    {
        const int Page = 500;
        var matching = new List<string>();
        for (long first = 0; ; first += Page)
        {
            var ids = await _db.SortedSetRangeByRankAsync(keys.DeadLetterIndex, first, first + Page - 1).ConfigureAwait(false);
            if (ids.Length == 0)
            {
                break;
            }
            var records = await _db.HashGetAsync(keys.DeadLetters, ids).ConfigureAwait(false);
            for (var i = 0; i < ids.Length; i++)
            {
                if (records[i].HasValue && JsonSerializer.Deserialize<DeadLetterName>((string)records[i]!, ErrorRecord.Json)?.Name == name)
                {
                    matching.Add((string)ids[i]!);
                }
            }
        }
        var requeued = 0;
        foreach (var id in matching)
        {
            requeued += (await DeadLettersAsync(new DeadLettersRequest { Requeue = id }).ConfigureAwait(false)).Requeued;
        }
        return requeued;
    }

    /// <summary>How many dead letters this shard holds: one read of their index's length.</summary>
    public Task<long> DeadLetterCountAsync() => _db.SortedSetLengthAsync(keys.DeadLetterIndex);

    /// <summary>
    /// Drops dead letters older than <see cref="CoordinatorOptions.DeadLetterRetention"/>, the oldest
    /// first, at most <paramref name="max"/> a call. Returns how many it dropped.
    /// </summary>
    public async Task<int> ExpireDeadLettersAsync(int max)
    {
        var retentionMs = (long)options.DeadLetterRetention.TotalMilliseconds;
        return (int)await Scripts.ExpireDeadLetters.RunAsync(_db, [keys.DeadLetters, keys.DeadLetterIndex], [retentionMs, max]).ConfigureAwait(false);
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

    /// <summary>The place in the order ("queue|priority") a dead letter of another queue or priority keeps; null for the default.</summary>
    private static string? OrderOf(string json) => JsonSerializer.Deserialize<DeadLetterOrder>(json, ErrorRecord.Json)?.Order;

    private sealed record DeadLetterOrder(string? Order);

    private sealed record DeadLetterName(string Name);

    private sealed record DeadLetterRecord(string Name, string Session, int Attempt, string Reason, long At, string Args, List<ErrorRecord> Errors);
}
