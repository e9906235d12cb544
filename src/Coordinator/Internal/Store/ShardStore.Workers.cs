using System.Globalization;
using Cluster.Protocol.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class ShardStore
{
    // Due tasks the promote script moves at most per call.
    private const int PromoteBatch = 1000;
    // Due tasks the last look at the delayed set counted; -1: not known.
    private long _dueSeen = -1;

    /// <summary>
    /// Registers a worker for the connection <paramref name="token"/>; false when another live
    /// connection (on any coordinator) holds the worker's id.
    /// </summary>
    public Task<bool> RegisterAsync(string worker, string token, Hello hello) => HeartbeatAsync(worker, token, "hello", hello.ToByteArray());

    /// <summary>
    /// Renews the lease of a worker's tasks (or, with <paramref name="renew"/> false, only looks);
    /// false when the connection <paramref name="token"/> no longer holds the registration: the
    /// worker was reaped and its tasks went back to their queues.
    /// </summary>
    public Task<bool> HeartbeatAsync(string worker, string token, bool renew = true) => HeartbeatAsync(worker, token, renew ? "beat" : "check", RedisValue.EmptyString);

    /// <summary>
    /// Keeps what a worker is busy with ("threads|coroutines") for the status, for one lease time:
    /// one write a heartbeat, not awaited (a figure for people; a lost one is written again at the next beat).
    /// </summary>
    public void WriteBusy(string worker, int threads, int coroutines) =>
        _db.StringSet(keys.WorkerBusy(worker), string.Create(CultureInfo.InvariantCulture, $"{threads}|{coroutines}"), TimeSpan.FromMilliseconds(_leaseMs), flags: CommandFlags.FireAndForget);

    private async Task<bool> HeartbeatAsync(string worker, string token, string mode, RedisValue info)
    {
        var result = await Scripts.Heartbeat.RunAsync(_db, [keys.Workers, keys.WorkerInfo(worker), keys.WorkerOwner(worker)], [worker, _leaseMs, token, mode, info]).ConfigureAwait(false);
        return (int)result == 1;
    }

    /// <summary>Keeps the policies a worker registered for its task names.</summary>
    public async Task RegisterPoliciesAsync(Hello hello)
    {
        var entries = hello.Handlers.Where(h => h.Policy is not null).Select(h => new HashEntry(h.Name, Policies.Encode(h.Policy))).ToArray();
        if (entries.Length > 0)
        {
            await _db.HashSetAsync(keys.NamePolicies, entries).ConfigureAwait(false);
        }
        // A name's rate limit (the lease's token bucket) follows the policy registered last.
        var limits = hello.Handlers.Where(h => h.Policy is not null).Select(h => (Field: h.Name + " r", Limit: Policies.RateLimit(h.Policy, layout.Count))).ToList();
        var set = limits.Where(l => l.Limit is not null).Select(l => new HashEntry(l.Field, l.Limit)).ToArray();
        if (set.Length > 0)
        {
            await _db.HashSetAsync(keys.NamePolicies, set).ConfigureAwait(false);
        }
        var cleared = limits.Where(l => l.Limit is null).Select(l => (RedisValue)l.Field).ToArray();
        if (cleared.Length > 0)
        {
            await _db.HashDeleteAsync(keys.NamePolicies, cleared).ConfigureAwait(false);
        }
    }

    /// <summary>Workers whose lease expired, how many delayed tasks and retries are due, and how long until the next one (null: none waiting).</summary>
    public async Task<(string[] Expired, long Due, TimeSpan? Next)> DueAsync()
    {
        var result = (RedisResult[])(await Scripts.Due.RunAsync(_db, [keys.Workers, keys.Delayed], []).ConfigureAwait(false))!;
        var wait = (long)result[2];
        Interlocked.Exchange(ref _dueSeen, (long)result[1]);
        return ((string[])result[0]!, (long)result[1], wait < 0 ? null : TimeSpan.FromMilliseconds(wait));
    }

    /// <summary>Puts a vanished worker's leased tasks back at the front of their queues, or dead-letters those past their bound.</summary>
    /// <param name="worker">The worker.</param>
    /// <param name="gone">True when the worker is known to be gone (its stream broke); false to act only if its lease expired.</param>
    /// <param name="token">With <paramref name="gone"/>: the connection whose stream broke; it acts only while that connection holds the registration. Null: whatever the registration.</param>
    /// <returns>Requeued and dead-lettered counts; Requeued is -1 when the worker turned out alive, or its registration not the connection's.</returns>
    public async Task<(int Requeued, int DeadLettered)> RequeueAsync(string worker, bool gone, string? token = null)
    {
        var (requeued, dead) = (0, 0);
        for (var pass = 0; pass < 3; pass++)
        {
            // Read what the worker holds first, to declare every queue and outbox the script may touch.
            var info = await _db.StringGetAsync(keys.WorkerInfo(worker)).ConfigureAwait(false);
            var names = new HashSet<string>(StringComparer.Ordinal);
            if (info.HasValue)
            {
                var hello = Hello.Parser.ParseFrom((byte[])info!);
                names.UnionWith(Routes.Served(hello.Handlers.Select(h => h.Name), hello.Queues));
            }
            var sessions = new HashSet<string>(StringComparer.Ordinal);
            var ids = (await _db.SetMembersAsync(keys.Leased(worker)).ConfigureAwait(false)).Select(v => (RedisValue)v).ToArray();
            if (ids.Length > 0)
            {
                names.UnionWith(await RoutesOfAsync(ids, sessions).ConfigureAwait(false));
            }
            var redisKeys = keys.TaskKeys(6 + names.Count + sessions.Count * 2);
            redisKeys[7] = keys.Leased(worker);
            redisKeys[8] = keys.Workers;
            redisKeys[9] = keys.WorkerInfo(worker);
            redisKeys[^3] = keys.Revived;
            redisKeys[^2] = keys.WorkerOwner(worker);
            redisKeys[^1] = keys.DeadLetterIndex;
            var args = new List<RedisValue> { worker, gone ? token ?? "*" : "0", _retentionSeconds, names.Count };
            var k = 10;
            foreach (var name in names)
            {
                redisKeys[k++] = keys.Queue(name);
                args.Add(name);
            }
            args.Add(sessions.Count);
            foreach (var session in sessions)
            {
                redisKeys[k++] = keys.Outbox(session);
                redisKeys[k++] = keys.OutboxSequence(session);
                args.Add(session);
            }
            var away = await StageAsync(sessions).ConfigureAwait(false);
            var result = Ints(await Scripts.Requeue.RunAsync(_db, redisKeys, [.. args]).ConfigureAwait(false));
            if (away is not null && result[1] > 0)
            {
                await ForwardAsync(away).ConfigureAwait(false);
            }
            if (result[0] < 0)
            {
                return (-1, 0);
            }
            requeued += result[0];
            dead += result[1];
            if (result[0] > 0)
            {
                await PublishReadyAsync(names).ConfigureAwait(false);
            }
            if (result[1] > 0)
            {
                await PublishDoneAsync(sessions.Where(IsHome)).ConfigureAwait(false);
            }
            if (result[2] == 0)
            {
                break;
            }
        }
        return (requeued, dead);
    }

    /// <summary>
    /// Hands back leased tasks the worker never started (a draining worker's, fenced by attempt; or,
    /// with a null attempt, tasks never sent to it); they count neither as lost runs nor as attempts.
    /// </summary>
    public async Task<int> ReleaseAsync(string worker, IReadOnlyList<string> names, IReadOnlyList<(string TaskId, int? Attempt)> tasks)
    {
        var redisKeys = keys.TaskKeys(1 + names.Count);
        redisKeys[7] = keys.Leased(worker);
        var args = new List<RedisValue> { worker, names.Count };
        for (var i = 0; i < names.Count; i++)
        {
            redisKeys[8 + i] = keys.Queue(names[i]);
            args.Add(names[i]);
        }
        foreach (var (id, attempt) in tasks)
        {
            args.Add(id);
            args.Add(attempt is { } a ? a.ToString(CultureInfo.InvariantCulture) : string.Empty);
        }
        var released = (int)await Scripts.Release.RunAsync(_db, redisKeys, [.. args]).ConfigureAwait(false);
        if (released > 0)
        {
            await PublishReadyAsync(names).ConfigureAwait(false);
        }
        return released;
    }

    /// <summary>
    /// Puts back the tasks the store holds leased to a worker that its connection never sent (a lease
    /// whose reply was lost): every task in the worker's leased set but not in <paramref name="known"/>.
    /// Nothing else may lease to the worker meanwhile. Returns how many went back.
    /// </summary>
    public async Task<int> ReclaimUnsentAsync(string worker, IReadOnlyList<string> names, IReadOnlySet<string> known)
    {
        var unsent = (await _db.SetMembersAsync(keys.Leased(worker)).ConfigureAwait(false))
            .Select(v => (string)v!)
            .Where(id => !known.Contains(id))
            .Select(id => (id, (int?)null))
            .ToList();
        return unsent.Count == 0 ? 0 : await ReleaseAsync(worker, names, unsent).ConfigureAwait(false);
    }

    /// <summary>The routes of the given tasks (their names, or "name|queue"), read from their headers and orders; their sessions are added to <paramref name="sessions"/>.</summary>
    private async Task<HashSet<string>> RoutesOfAsync(RedisValue[] ids, HashSet<string>? sessions = null)
    {
        var routes = new HashSet<string>(StringComparer.Ordinal);
        var headers = _db.HashGetAsync(keys.Headers, ids);
        var orders = _db.HashGetAsync(keys.Policies, [.. ids.Select(id => (RedisValue)((string)id! + " o"))]);
        var (h, o) = (await headers.ConfigureAwait(false), await orders.ConfigureAwait(false));
        for (var i = 0; i < ids.Length; i++)
        {
            if (h[i].HasValue && Header.Parse(h[i]!) is { } header)
            {
                routes.Add(Routes.OfStored(header.Name, o[i]));
                sessions?.Add(header.Session);
            }
        }
        return routes;
    }

    /// <summary>
    /// Moves tasks that are due by the store's clock (delayed ones, and retries whose backoff has
    /// passed) into their queues, at most 1,000 a call; returns how many.
    /// </summary>
    public async Task<int> PromoteAsync()
    {
        // The due ones are the first of the delayed set: as many as the last look counted (no clock
        // of this host is compared with the store's), else a page of them.
        var seen = Interlocked.Exchange(ref _dueSeen, -1);
        if (seen == 0)
        {
            return 0;
        }
        var due = await _db.SortedSetRangeByRankAsync(keys.Delayed, 0, (seen < 0 ? PromoteBatch : Math.Min(seen, PromoteBatch)) - 1).ConfigureAwait(false);
        if (due.Length == 0)
        {
            return 0;
        }
        var names = await RoutesOfAsync(due).ConfigureAwait(false);
        var redisKeys = keys.TaskKeys(names.Count + 1);
        redisKeys[^1] = keys.Names;
        var k = 7;
        foreach (var name in names)
        {
            redisKeys[k++] = keys.Queue(name);
        }
        var result = Ints(await Scripts.Promote.RunAsync(_db, redisKeys, [.. names.Select(n => (RedisValue)n)]).ConfigureAwait(false));
        if (result[0] > 0)
        {
            await PublishReadyAsync(names).ConfigureAwait(false);
        }
        return result[0];
    }
}
