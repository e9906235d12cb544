using System.Globalization;
using Cluster.Protocol.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>Task state in Redis: each method is one atomic script call over one batch.</summary>
internal sealed class TaskStore(IConnectionMultiplexer redis, Keys keys, CoordinatorOptions options)
{
    private readonly IDatabase _db = redis.GetDatabase();
    private readonly long _retentionSeconds = (long)options.SessionRetention.TotalSeconds;
    private readonly long _leaseMs = (long)options.LeaseTime.TotalMilliseconds;

    public Keys Keys => keys;

    /// <summary>Stores a batch of validated tasks; returns the positions (in <paramref name="tasks"/>) of ids already taken.</summary>
    public async Task<IReadOnlyList<int>> SubmitAsync(string session, IReadOnlyList<TaskSpec> tasks)
    {
        var names = new List<string>();
        var nameIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var task in tasks)
        {
            if (!nameIndex.ContainsKey(task.Name))
            {
                names.Add(task.Name);
                nameIndex[task.Name] = names.Count;
            }
        }
        var args = new RedisValue[2 + names.Count + tasks.Count * 3];
        var k = 0;
        args[k++] = session;
        args[k++] = names.Count;
        foreach (var name in names)
        {
            args[k++] = name;
        }
        foreach (var task in tasks)
        {
            args[k++] = task.Id;
            args[k++] = nameIndex[task.Name];
            // A chunked task's arguments are kept behind a '*', which no JSON text starts with.
            args[k++] = task.Chunked ? Chunked(task.Args.Span) : task.Args.Memory;
        }
        var redisKeys = new RedisKey[3 + names.Count];
        redisKeys[0] = keys.Headers;
        redisKeys[1] = keys.Args;
        redisKeys[2] = keys.Names;
        for (var i = 0; i < names.Count; i++)
        {
            redisKeys[3 + i] = keys.Queue(names[i]);
        }
        var result = await Scripts.Submit.RunAsync(_db, redisKeys, args).ConfigureAwait(false);
        await PublishReadyAsync(names).ConfigureAwait(false);
        return Ints(result);
    }

    /// <summary>Leases up to <paramref name="max"/> queued tasks of the given names to a worker.</summary>
    public async Task<List<Assignment>> LeaseAsync(string worker, IReadOnlyList<string> names, int max, int rotation)
    {
        var redisKeys = new RedisKey[4 + names.Count];
        redisKeys[0] = keys.Headers;
        redisKeys[1] = keys.Args;
        redisKeys[2] = keys.Leased(worker);
        redisKeys[3] = keys.Workers;
        for (var i = 0; i < names.Count; i++)
        {
            redisKeys[4 + i] = keys.Queue(names[i]);
        }
        var result = (RedisResult[])(await Scripts.Lease.RunAsync(_db, redisKeys, [worker, max, rotation]).ConfigureAwait(false))!;
        var leased = new List<Assignment>(result.Length / 5);
        for (var i = 0; i + 4 < result.Length; i += 5)
        {
            var stored = (byte[])result[i + 2]!;
            var chunked = stored.Length > 0 && stored[0] == (byte)'*';
            leased.Add(new Assignment
            {
                TaskId = (string)result[i]!,
                Name = (string)result[i + 1]!,
                Args = UnsafeByteOperations.UnsafeWrap(chunked ? stored.AsMemory(1) : stored),
                Chunked = chunked,
                Attempt = (int)result[i + 3],
                Session = (string)result[i + 4]!,
            });
        }
        return leased;
    }

    /// <summary>Commits a worker's results, fenced by attempt; returns how many were accepted and how many were stale.</summary>
    public async Task<(int Accepted, int Stale)> CompleteAsync(string worker, IReadOnlyList<TaskResult> results)
    {
        var sessions = new List<string>();
        var sessionIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in results)
        {
            if (!sessionIndex.ContainsKey(r.Session))
            {
                sessions.Add(r.Session);
                sessionIndex[r.Session] = sessions.Count;
            }
        }
        var redisKeys = new RedisKey[3 + sessions.Count * 2];
        redisKeys[0] = keys.Headers;
        redisKeys[1] = keys.Args;
        redisKeys[2] = keys.Leased(worker);
        for (var i = 0; i < sessions.Count; i++)
        {
            redisKeys[3 + i * 2] = keys.Outbox(sessions[i]);
            redisKeys[4 + i * 2] = keys.OutboxSequence(sessions[i]);
        }
        var args = new RedisValue[3 + sessions.Count + results.Count * 4];
        var k = 0;
        args[k++] = worker;
        args[k++] = _retentionSeconds;
        args[k++] = sessions.Count;
        foreach (var s in sessions)
        {
            args[k++] = s;
        }
        foreach (var r in results)
        {
            args[k++] = r.TaskId;
            args[k++] = r.Attempt.ToString(CultureInfo.InvariantCulture);
            args[k++] = sessionIndex[r.Session];
            args[k++] = ToCompletion(r, worker).ToByteArray();
        }
        var result = (RedisResult[])(await Scripts.Complete.RunAsync(_db, redisKeys, args).ConfigureAwait(false))!;
        var accepted = (int)result[0];
        if (accepted > 0)
        {
            await PublishDoneAsync(sessions).ConfigureAwait(false);
        }
        return (accepted, (int)result[1]);
    }

    /// <summary>
    /// Cancels queued tasks of one session (true per task that will never run); with
    /// <paramref name="interrupt"/>, asks the workers running the others to stop them.
    /// </summary>
    public async Task<(bool[] Cancelled, bool[] Interrupted)> CancelAsync(string session, IReadOnlyList<string> ids, bool interrupt)
    {
        var args = new RedisValue[3 + ids.Count * 2];
        args[0] = session;
        args[1] = _retentionSeconds;
        args[2] = interrupt ? "1" : "0";
        for (var i = 0; i < ids.Count; i++)
        {
            args[3 + i * 2] = ids[i];
            args[4 + i * 2] = new Completion { TaskId = ids[i], Cancelled = new Cancelled() }.ToByteArray();
        }
        var result = (RedisResult[])(await Scripts.Cancel.RunAsync(_db, [keys.Headers, keys.Args, keys.Outbox(session), keys.OutboxSequence(session)], args).ConfigureAwait(false))!;
        var cancelled = new bool[ids.Count];
        var interrupted = new bool[ids.Count];
        var interrupts = new List<string>();
        for (var i = 0; i < ids.Count; i++)
        {
            var code = (int)result[i * 2];
            cancelled[i] = code == 1;
            interrupted[i] = code == 2;
            if (code == 2)
            {
                interrupts.Add((string)result[i * 2 + 1]! + "\t" + ids[i]);
            }
        }
        if (cancelled.Any(c => c))
        {
            await PublishDoneAsync([session]).ConfigureAwait(false);
        }
        if (interrupts.Count > 0)
        {
            await _db.PublishAsync(keys.InterruptChannel, string.Join('\n', interrupts)).ConfigureAwait(false);
        }
        return (cancelled, interrupted);
    }

    /// <summary>Relays started and progress notices to whichever coordinator serves each session; not stored.</summary>
    public Task PublishEventsAsync(IEnumerable<TaskEvent> events)
    {
        var batch = new CompletionBatch();
        batch.Events.AddRange(events);
        return batch.Events.Count == 0 ? Task.CompletedTask : _db.PublishAsync(keys.EventsChannel, batch.ToByteArray());
    }

    /// <summary>Registers a worker or renews its lease; false when it had been reaped meanwhile.</summary>
    public async Task<bool> HeartbeatAsync(string worker, Hello hello)
    {
        var result = await Scripts.Heartbeat.RunAsync(_db, [keys.Workers, keys.WorkerInfo(worker)], [worker, _leaseMs, hello.ToByteArray()]).ConfigureAwait(false);
        return (int)result == 1;
    }

    public async Task<string[]> ExpiredWorkersAsync()
    {
        var result = await Scripts.Expired.RunAsync(_db, [keys.Workers], []).ConfigureAwait(false);
        return (string[])result!;
    }

    /// <summary>Puts a vanished worker's leased tasks back at the front of their queues.</summary>
    /// <param name="gone">True when the worker is known to be gone (its stream broke); false to act only if its lease expired.</param>
    public async Task<(int Requeued, int Left)> RequeueAsync(string worker, bool gone)
    {
        var info = await _db.StringGetAsync(keys.WorkerInfo(worker)).ConfigureAwait(false);
        var names = info.HasValue ? Hello.Parser.ParseFrom((byte[])info!).Handlers.Select(h => h.Name).ToArray() : [];
        var redisKeys = new RedisKey[4 + names.Length];
        redisKeys[0] = keys.Headers;
        redisKeys[1] = keys.Leased(worker);
        redisKeys[2] = keys.Workers;
        redisKeys[3] = keys.WorkerInfo(worker);
        var args = new RedisValue[2 + names.Length];
        args[0] = worker;
        args[1] = gone ? "1" : "0";
        for (var i = 0; i < names.Length; i++)
        {
            redisKeys[4 + i] = keys.Queue(names[i]);
            args[2 + i] = names[i];
        }
        var result = Ints(await Scripts.Requeue.RunAsync(_db, redisKeys, args).ConfigureAwait(false));
        if (result[0] > 0)
        {
            await PublishReadyAsync(names).ConfigureAwait(false);
        }
        return (result[0], result[1]);
    }

    /// <summary>Reads a session's completions after a cursor, oldest first.</summary>
    public async Task<List<Completion>> ReadCompletionsAsync(string session, long afterSeq, int max)
    {
        var entries = await _db.SortedSetRangeByScoreWithScoresAsync(keys.Outbox(session), afterSeq, double.PositiveInfinity, Exclude.Start, Order.Ascending, 0, max).ConfigureAwait(false);
        var list = new List<Completion>(entries.Length);
        foreach (var e in entries)
        {
            var c = Completion.Parser.ParseFrom((byte[])e.Element!);
            c.Seq = (long)e.Score;
            list.Add(c);
        }
        return list;
    }

    /// <summary>Forgets completions the client has acknowledged.</summary>
    public Task AckAsync(string session, long upToSeq) =>
        _db.SortedSetRemoveRangeByScoreAsync(keys.Outbox(session), double.NegativeInfinity, upToSeq);

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

    private Task PublishReadyAsync(IEnumerable<string> names) =>
        _db.PublishAsync(keys.ReadyChannel, string.Join('\n', names));

    private Task PublishDoneAsync(IEnumerable<string> sessions) =>
        _db.PublishAsync(keys.DoneChannel, string.Join('\n', sessions));

    private static Completion ToCompletion(TaskResult r, string worker)
    {
        var c = new Completion { TaskId = r.TaskId, Attempt = r.Attempt, Worker = worker };
        switch (r.OutcomeCase)
        {
            case TaskResult.OutcomeOneofCase.Value:
                c.Result = r.Value;
                break;
            case TaskResult.OutcomeOneofCase.Error:
                c.Error = r.Error;
                break;
            case TaskResult.OutcomeOneofCase.Cancelled:
                c.Cancelled = r.Cancelled;
                break;
            default:
                c.Error = new TaskError { Type = "Cluster.ProtocolError", Message = "The worker sent a result without an outcome.", Attempt = r.Attempt };
                break;
        }
        return c;
    }

    private static byte[] Chunked(ReadOnlySpan<byte> args)
    {
        var marked = new byte[args.Length + 1];
        marked[0] = (byte)'*';
        args.CopyTo(marked.AsSpan(1));
        return marked;
    }

    private static int[] Ints(RedisResult result) =>
        result.IsNull ? [] : ((RedisResult[])result!).Select(x => (int)x).ToArray();
}
