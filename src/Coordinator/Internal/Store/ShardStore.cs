using System.Globalization;
using Cluster.Contracts;
using Cluster.Protocol.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// The task state of one shard of the store: each method is one atomic script call over one batch,
/// on the shard's slot. A completion for a session homed on another shard is written into this
/// shard's outbox of the session and moved from there (see <see cref="MoveAsync"/>).
/// </summary>
internal sealed partial class ShardStore(IConnectionMultiplexer redis, ShardLayout layout, int shard, CoordinatorOptions options, Notifier? local = null, ClusterStats? stats = null)
{
    private readonly IDatabase _db = redis.GetDatabase();
    private readonly Keys keys = layout[shard];
    private readonly long _retentionSeconds = (long)options.Retention.TotalSeconds;
    private readonly long _leaseMs = (long)options.LeaseTime.TotalMilliseconds;
    // An error's text kept at most (in UTF-16 characters; three bytes each at worst in a message).
    private const int MaxErrorMessageChars = 8 * 1024;
    private const int MaxStackTraceChars = 16 * 1024;

    public Keys Keys => keys;

    /// <summary>Whether the session's outbox lives in this shard (always, on one shard).</summary>
    private bool IsHome(string session) => layout.HomeOf(session) == shard;

    /// <summary>
    /// Stores a batch of validated tasks and, when <paramref name="handoffWorker"/> is given, leases up
    /// to <paramref name="handoffMax"/> of them to that worker in the same step. Returns the positions
    /// (in <paramref name="tasks"/>) of those refused because their id, or their idempotency key (then
    /// with the task that holds it), is taken; and the tasks handed to the worker.
    /// </summary>
    public async Task<SubmitOutcome> SubmitAsync(string session, IReadOnlyList<TaskSpec> tasks, string? handoffWorker = null, int handoffMax = 0)
    {
        // Per entry (name, queue, priority) one queue key: the tasks' routes are what wakes workers.
        var names = new List<string>();
        var nameIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var routes = new List<string>();
        var entryOf = new string[tasks.Count];
        var idempotencyKeys = new List<string>();
        for (var t = 0; t < tasks.Count; t++)
        {
            var task = tasks[t];
            var entry = entryOf[t] = Routes.Entry(task);
            if (!nameIndex.ContainsKey(entry))
            {
                names.Add(entry);
                nameIndex[entry] = names.Count;
                routes.Add(Routes.Of(task));
            }
            if (task.IdempotencyKey.Length > 0)
            {
                idempotencyKeys.Add(task.IdempotencyKey);
            }
        }
        var handoff = handoffWorker is not null && handoffMax > 0;
        // A task with no policy of its own, idempotency key, trace context or time to wait for (most
        // tasks) takes three arguments; another takes seven, its name index negated (Scripts.Submit).
        var traces = new RedisValue[tasks.Count];
        var plain = new bool[tasks.Count];
        var argCount = 6 + names.Count;
        for (var t = 0; t < tasks.Count; t++)
        {
            traces[t] = Telemetry.StoredTrace.Encode(tasks[t]);
            plain[t] = Plain(tasks[t], traces[t]);
            argCount += plain[t] ? 3 : 7;
        }
        var args = new RedisValue[argCount];
        var k = 0;
        args[k++] = session;
        args[k++] = _retentionSeconds;
        args[k++] = names.Count;
        args[k++] = handoff ? handoffWorker : string.Empty;
        args[k++] = handoff ? handoffMax : 0;
        // Each shard holds its share of a name's bound: the whole is the bound over the shards.
        args[k++] = options.MaxQueued == 0 ? 0 : (options.MaxQueued + layout.Count - 1) / layout.Count;
        foreach (var name in names)
        {
            args[k++] = name;
        }
        var redisKeys = keys.TaskKeys(2 + names.Count + idempotencyKeys.Count + (handoff ? 2 : 0));
        redisKeys[7] = keys.Names;
        for (var i = 0; i < names.Count; i++)
        {
            redisKeys[8 + i] = keys.Queue(routes[i]);
        }
        var nextKey = 8 + names.Count;
        for (var t = 0; t < tasks.Count; t++)
        {
            var task = tasks[t];
            args[k++] = task.Id;
            args[k++] = plain[t] ? nameIndex[entryOf[t]] : -nameIndex[entryOf[t]];
            // A chunked task's arguments are kept behind a '*', which no JSON text starts with.
            args[k++] = task.Chunked ? Chunked(task.Args.Span) : task.Args.Memory;
            if (plain[t])
            {
                continue;
            }
            args[k++] = Policies.Encode(task.Policy);
            if (task.IdempotencyKey.Length > 0)
            {
                redisKeys[nextKey] = keys.Idempotency(task.IdempotencyKey);
                args[k++] = ++nextKey; // Lua's KEYS are 1-based
            }
            else
            {
                args[k++] = 0;
            }
            args[k++] = traces[t];
            args[k++] = task.NotBeforeUnixMs;
        }
        redisKeys[handoff ? ^3 : ^1] = keys.ResultIndex;
        if (handoff)
        {
            redisKeys[^2] = keys.Leased(handoffWorker!);
            redisKeys[^1] = keys.Workers;
        }
        HopTrace.MarkEach("coordinator.storing", tasks, static t => t.Id);
        var result = (RedisResult[])(await Scripts.Submit.RunAsync(_db, redisKeys, args).ConfigureAwait(false))!;
        HopTrace.MarkEach("coordinator.stored", tasks, static t => t.Id);
        var dups = (RedisResult[])result[0]!;
        var refused = new List<(int, string)>(dups.Length / 2);
        for (var i = 0; i + 1 < dups.Length; i += 2)
        {
            refused.Add(((int)dups[i], (string)dups[i + 1]!));
        }
        var (handed, _) = Assignments((RedisResult[])result[1]!);
        var soonest = (long)result[3];
        if (soonest >= 0)
        {
            // Delayed tasks: every coordinator's reaper re-arms its timer if this one is due sooner.
            await PublishDelayedAsync(soonest).ConfigureAwait(false);
        }
        if (!AllHanded(tasks, refused, handed))
        {
            try
            {
                // Some wait in their queues: wake the workers that take them.
                await PublishReadyAsync(routes.Distinct(StringComparer.Ordinal)).ConfigureAwait(false);
            }
            catch (RedisException)
            {
                // Stored, and handed over where they were: lease loops look at their queues at
                // least every few seconds, so a lost notice only delays the others.
            }
        }
        var over = (RedisResult[])result[2]!;
        var full = new List<(int, long)>(over.Length / 2);
        for (var i = 0; i + 1 < over.Length; i += 2)
        {
            full.Add(((int)over[i], (long)over[i + 1]));
        }
        CountSubmitted(tasks, refused, full);
        return new SubmitOutcome(refused, handed) { Full = full };
    }

    /// <summary>Whether a task goes to the submit step as (id, name index, args) alone: nothing of its own to store besides.</summary>
    private static bool Plain(TaskSpec task, RedisValue trace) =>
        task.Policy is null && task.IdempotencyKey.Length == 0 && trace.IsNullOrEmpty && task.NotBeforeUnixMs == 0;

    /// <summary>
    /// Whether every task this batch stored went to the worker at once. Leasing takes each queue
    /// from its head, so then nothing older waits either.
    /// </summary>
    private static bool AllHanded(IReadOnlyList<TaskSpec> tasks, List<(int Index, string ExistingTaskId)> refused, List<Assignment> handed)
    {
        if (handed.Count < tasks.Count - refused.Count)
        {
            return false;
        }
        var refusedAt = refused.Select(r => r.Index).ToHashSet();
        var stored = new HashSet<string>(tasks.Count, StringComparer.Ordinal);
        for (var i = 0; i < tasks.Count; i++)
        {
            if (!refusedAt.Contains(i))
            {
                stored.Add(tasks[i].Id);
            }
        }
        foreach (var assignment in handed)
        {
            stored.Remove(assignment.TaskId);
        }
        return stored.Count == 0;
    }

    /// <summary>
    /// Leases up to <paramref name="max"/> queued tasks of the given routes (names, or "name|queue") to the worker whose
    /// registration the connection <paramref name="token"/> holds; <c>More</c> when the byte bound
    /// of one lease stopped it short; <c>NextToken</c> when a name's rate limit held tasks back: how
    /// long until its bucket has a token again.
    /// </summary>
    public async Task<(List<Assignment> Tasks, bool More, TimeSpan? NextToken)> LeaseAsync(string worker, string token, IReadOnlyList<string> routes, int max, int rotation)
    {
        var redisKeys = keys.TaskKeys(3 + routes.Count);
        redisKeys[7] = keys.Leased(worker);
        redisKeys[8] = keys.Workers;
        for (var i = 0; i < routes.Count; i++)
        {
            redisKeys[9 + i] = keys.Queue(routes[i]);
        }
        redisKeys[^1] = keys.WorkerOwner(worker);
        var result = (RedisResult[])(await Scripts.Lease.RunAsync(_db, redisKeys, [worker, max, rotation, token]).ConfigureAwait(false))!;
        var (leased, end) = Assignments(result);
        var (more, next) = (false, (TimeSpan?)null);
        for (var i = end; i < result.Length && result[i].Resp2Type != ResultType.Array; i++)
        {
            var marker = (string)result[i]!;
            more |= marker == "+";
            if (marker.StartsWith('~'))
            {
                next = TimeSpan.FromMilliseconds(long.Parse(marker.AsSpan(1), CultureInfo.InvariantCulture));
            }
        }
        return (leased, more, next);
    }

    /// <summary>
    /// The assignments of leased tasks, as the lease step returns them (<see cref="Scripts.Lease"/>):
    /// (id, args) per task, each run of tasks with the same name, attempt, session and policy led by
    /// ('', name, attempt, session, policy), so those are read into strings (and the policy parsed)
    /// once per run, not once per task. Returns them and the index of the first element after them.
    /// </summary>
    private static (List<Assignment> Tasks, int End) Assignments(RedisResult[] result)
    {
        var leased = new List<Assignment>(result.Length / 2);
        var (name, attempt, session, timeouts) = (string.Empty, 0, string.Empty, (SoftMs: 0, HardMs: 0));
        var i = 0;
        while (i + 1 < result.Length && result[i].Resp2Type != ResultType.Array)
        {
            var id = (string)result[i]!;
            if (id.Length == 0 && i + 4 < result.Length)
            {
                name = (string)result[i + 1]!;
                attempt = (int)result[i + 2];
                session = (string)result[i + 3]!;
                timeouts = Policies.Timeouts((string)result[i + 4]!);
                i += 5;
                continue;
            }
            if (id is "+" || id.StartsWith('~'))
            {
                break;
            }
            var stored = (byte[])result[i + 1]!;
            var chunked = stored.Length > 0 && stored[0] == (byte)'*';
            leased.Add(new Assignment
            {
                TaskId = id,
                Name = name,
                Args = UnsafeByteOperations.UnsafeWrap(chunked ? stored.AsMemory(1) : stored),
                Chunked = chunked,
                Attempt = attempt,
                Session = session,
                SoftTimeoutMs = timeouts.SoftMs,
                HardTimeoutMs = timeouts.HardMs,
            });
            i += 2;
        }
        // Last, when some are traced: (position, stored trace context) per traced task.
        if (result.Length > 0 && result[^1].Resp2Type == ResultType.Array)
        {
            var traced = (RedisResult[])result[^1]!;
            for (var t = 0; t + 1 < traced.Length; t += 2)
            {
                Telemetry.StoredTrace.Apply(leased[(int)traced[t]], (string)traced[t + 1]!);
            }
        }
        return (leased, i);
    }

    /// <summary>
    /// Commits a worker's results, fenced by attempt: a value or a final error completes the task;
    /// an error its policy retries sends it to wait out a backoff; one past its bound dead-letters it.
    /// </summary>
    /// <param name="worker">The worker connection whose leases the results answer.</param>
    /// <param name="results">The results, each fenced by its attempt.</param>
    /// <param name="verdicts">When given, is told what became of each result, one letter each in order: c committed (a value or a final error), r retrying, d dead-lettered, s stale.</param>
    /// <param name="staged">When given, the sessions homed elsewhere whose completions the call wrote here are added to it, to be moved by the caller (with those of other shards); else they are moved here.</param>
    public async Task<CompleteOutcome> CompleteAsync(string worker, IReadOnlyList<TaskResult> results, Action<string>? verdicts = null, List<string>? staged = null)
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
        var redisKeys = keys.TaskKeys(5 + sessions.Count * 2);
        redisKeys[7] = keys.Leased(worker);
        redisKeys[^4] = keys.Results;
        redisKeys[^3] = keys.ResultIndex;
        redisKeys[^2] = keys.Revived;
        redisKeys[^1] = keys.DeadLetterIndex;
        for (var i = 0; i < sessions.Count; i++)
        {
            redisKeys[8 + i * 2] = keys.Outbox(sessions[i]);
            redisKeys[9 + i * 2] = keys.OutboxSequence(sessions[i]);
        }
        var completions = new Completion[results.Count];
        var sessionOf = new int[results.Count];
        var args = new RedisValue[4 + sessions.Count + results.Count * 6];
        var k = 0;
        args[k++] = worker;
        args[k++] = _retentionSeconds;
        args[k++] = Random.Shared.NextDouble().ToString("0.000", CultureInfo.InvariantCulture);
        args[k++] = sessions.Count;
        foreach (var s in sessions)
        {
            args[k++] = s;
        }
        for (var i = 0; i < results.Count; i++)
        {
            var r = results[i];
            // A result over the limit fails its task (for good: running it again makes the same
            // result), so no completion is larger than a client with gRPC's default limits receives.
            var tooLarge = r.OutcomeCase == TaskResult.OutcomeOneofCase.Value && r.Value.Length > options.MaxResultBytes;
            var error = r.Error is null ? null : Bounded(r.Error);
            completions[i] = tooLarge ? TooLarge(r, worker, options.MaxResultBytes) : ToCompletion(r, worker);
            if (error is not null)
            {
                completions[i].Error = error;
            }
            args[k++] = r.TaskId;
            args[k++] = r.Attempt.ToString(CultureInfo.InvariantCulture);
            args[k++] = sessionOf[i] = sessionIndex[r.Session];
            args[k++] = completions[i].ToByteArray();
            args[k++] = error?.Type ?? string.Empty;
            args[k++] = error is null ? string.Empty : ErrorJson(error, worker);
        }
        var away = await StageAsync(sessions).ConfigureAwait(false);
        HopTrace.MarkEach("coordinator.committing", results, static t => t.TaskId);
        var result = (RedisResult[])(await Scripts.Complete.RunAsync(_db, redisKeys, args).ConfigureAwait(false))!;
        HopTrace.MarkEach("coordinator.committed", results, static t => t.TaskId);
        var outcome = new CompleteOutcome((int)result[0], (int)result[1], (int)result[2], (int)result[3]);
        var codes = (string)result[4]!;
        verdicts?.Invoke(codes);
        CountCompleted(results, completions, codes);
        // Tasks that waited for these as inputs (GraphScripts): due now, or ended with them.
        var (graphReady, graphEnded) = ((long)result[5], (long)result[6]);
        if (graphReady > 0)
        {
            await PublishDelayedAsync(0).ConfigureAwait(false);
        }
        if (result.Length > 8)
        {
            // Handed straight to this coordinator's open streams: they need not read them back.
            local?.Deliver([.. Written(results, completions, sessionOf, codes, result, away is null ? null : IsHome)]);
        }
        if (away is not null && staged is not null)
        {
            staged.AddRange(away);
        }
        else if (away is not null)
        {
            await ForwardAsync(away).ConfigureAwait(false);
        }
        if (outcome.Accepted > outcome.Retrying)
        {
            await PublishDoneAsync(away is null ? sessions : sessions.Where(IsHome), localWake: outcome.DeadLettered > 0 || graphEnded > 0).ConfigureAwait(false);
        }
        return outcome;
    }

    /// <summary>
    /// The completions the complete step wrote to outboxes, numbered (<see cref="Scripts.Complete"/>): each
    /// committed result's, in the order of the results, but a revived task's; a session's are numbered up to
    /// the last number the step returned for it. With <paramref name="home"/>, only those of sessions homed
    /// on this shard: a forwarded completion takes its number in its home outbox, and is delivered from there.
    /// </summary>
    private static List<(string Session, Completion Completion)> Written(
        IReadOnlyList<TaskResult> results, Completion[] completions, int[] sessionOf, string codes, RedisResult[] reply, Func<string, bool>? home)
    {
        var revived = (RedisResult[])reply[7]!;
        var skipped = revived.Length == 0 ? null : revived.Select(r => (int)r).ToHashSet();
        var last = new long[results.Count + 1];
        for (var i = 8; i + 1 < reply.Length; i += 2)
        {
            last[(int)reply[i]] = (long)reply[i + 1];
        }
        var counts = new int[last.Length];
        for (var i = 0; i < results.Count; i++)
        {
            if (codes[i] == 'c' && skipped?.Contains(i) != true)
            {
                counts[sessionOf[i]]++;
            }
        }
        var written = new List<(string, Completion)>(results.Count);
        var taken = new int[last.Length];
        for (var i = 0; i < results.Count; i++)
        {
            if (codes[i] != 'c' || skipped?.Contains(i) == true)
            {
                continue;
            }
            var si = sessionOf[i];
            var seq = last[si] - counts[si] + ++taken[si];
            if (home is null || home(results[i].Session))
            {
                completions[i].Seq = seq;
                written.Add((results[i].Session, completions[i]));
            }
        }
        return written;
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
        var redisKeys = keys.TaskKeys(5);
        redisKeys[7] = keys.Outbox(session);
        redisKeys[8] = keys.OutboxSequence(session);
        redisKeys[9] = keys.Revived;
        redisKeys[10] = keys.Results;
        redisKeys[11] = keys.ResultIndex;
        var away = await StageAsync([session]).ConfigureAwait(false);
        var result = (RedisResult[])(await Scripts.Cancel.RunAsync(_db, redisKeys, args).ConfigureAwait(false))!;
        if (away is not null)
        {
            await ForwardAsync(away).ConfigureAwait(false);
        }
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
        if (away is null && cancelled.Any(c => c))
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
        // Not awaited for a reply: a store that does not answer delays no result behind them.
        return batch.Events.Count == 0 ? Task.CompletedTask : _db.PublishAsync(keys.EventsChannel, batch.ToByteArray(), CommandFlags.FireAndForget);
    }

    /// <summary>
    /// Tells every coordinator that tasks of these names are ready: this one at once, the others
    /// through the store's pub/sub (which this one ignores when the notice is its own).
    /// </summary>
    private Task PublishReadyAsync(IEnumerable<string> names)
    {
        var message = string.Join('\n', names);
        local?.OnReady(message);
        return _db.PublishAsync(keys.ReadyChannel, Notifier.Tag(local, message));
    }

    /// <summary>
    /// Tells every coordinator (this one at once, the others through the store's pub/sub) that a
    /// task was delayed until <paramref name="inMs"/> ms from now: a reaper whose timer is set later re-arms it.
    /// </summary>
    private Task PublishDelayedAsync(long inMs)
    {
        local?.OnDelayed(inMs);
        return _db.PublishAsync(keys.TimersChannel, Notifier.Tag(local, inMs.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// Tells the coordinator holding each session's stream that it has new completions to read
    /// from the store. This one is told only when <paramref name="localWake"/>: completions it
    /// wrote as sent it has delivered already.
    /// </summary>
    private Task PublishDoneAsync(IEnumerable<string> sessions, bool localWake = true)
    {
        var message = string.Join('\n', sessions);
        if (message.Length == 0)
        {
            return Task.CompletedTask;
        }
        if (localWake)
        {
            local?.OnDone(message);
        }
        return _db.PublishAsync(keys.DoneChannel, Notifier.Tag(local, message));
    }

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

    /// <summary>
    /// The error with its message and stack trace cut to their bounds, so that its completion, and
    /// a dead letter's with its last attempts' errors, fit in a message.
    /// </summary>
    private static TaskError Bounded(TaskError error) =>
        error.Message.Length <= MaxErrorMessageChars && error.StackTrace.Length <= MaxStackTraceChars
            ? error
            : new TaskError(error) { Message = Cut(error.Message, MaxErrorMessageChars), StackTrace = Cut(error.StackTrace, MaxStackTraceChars) };

    private static string Cut(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "… (cut)");

    private static Completion TooLarge(TaskResult r, string worker, int limit) => new()
    {
        TaskId = r.TaskId,
        Attempt = r.Attempt,
        Worker = worker,
        Error = new TaskError
        {
            Type = "Cluster.ResultTooLarge",
            Message = $"the result of task {r.TaskId} is {r.Value.Length} bytes; the limit is {limit}",
            Attempt = r.Attempt,
        },
    };

    private static byte[] Chunked(ReadOnlySpan<byte> args)
    {
        var marked = new byte[args.Length + 1];
        marked[0] = (byte)'*';
        args.CopyTo(marked.AsSpan(1));
        return marked;
    }

    private static string ErrorJson(TaskError error, string worker) =>
        System.Text.Json.JsonSerializer.Serialize(new ErrorRecord(error.Type, error.Message, error.StackTrace, error.Attempt, worker), ErrorRecord.Json);

    private static int[] Ints(RedisResult result) =>
        result.IsNull ? [] : ((RedisResult[])result!).Select(x => (int)x).ToArray();
}
