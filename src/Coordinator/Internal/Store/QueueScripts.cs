namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// The scripts of the item queues (<c>ItemQueues</c>): each changes one queue in one step, and every
/// key of a queue shares the queue's own hash tag (<see cref="ItemQueueKeys"/>), so each script
/// touches one slot.
/// </summary>
/// <remarks>
/// A queue is four keys: <c>:l</c> the list of entries (<c>d|item</c>, d the times the item was
/// handed out before), <c>:s</c> a hash of its counters — <c>unf</c> the unfinished items (put and
/// not yet marked done), <c>seq</c> the last receipt's number, and the flags <c>wg</c>, <c>wp</c>,
/// <c>wj</c> that a get, a put or a join is waiting somewhere — <c>:t</c> a hash receipt → entry
/// of the items held under a lease, and <c>:z</c> the receipts by lease expiry (store clock, ms).
/// A script that finds its caller must wait sets that flag; the script that changes what the
/// waiter waits for clears it and answers which waiters to wake (1 gets, 2 puts, 4 joins), and the
/// coordinator publishes that: waiters are woken by a notice, never by polling the store.
/// </remarks>
internal static class QueueScripts
{
    private const string Prelude = """
        local L, S, T, Z = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
        local function now_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        -- Items whose lease ran out go back to the head of the queue, the earliest expired first
        -- (at least once: their consumer never acknowledged them).
        local function requeue_expired(now)
          local due = redis.call('ZRANGEBYSCORE', Z, '-inf', now, 'LIMIT', 0, 1000)
          for i = #due, 1, -1 do
            local e = redis.call('HGET', T, due[i])
            if e then
              local bar = string.find(e, '|', 1, true)
              redis.call('LPUSH', L, (tonumber(string.sub(e, 1, bar - 1)) + 1) .. string.sub(e, bar))
              redis.call('HDEL', T, due[i])
            end
            redis.call('ZREM', Z, due[i])
          end
          return #due
        end
        local function next_expiry(now)
          local first = redis.call('ZRANGE', Z, 0, 0, 'WITHSCORES')
          if #first < 2 then return 0 end
          return math.max(1, tonumber(first[2]) - now)
        end
        """;

    private static Script Of(string name, string body) => new(name, Prelude + "\n" + body);

    /// <summary>ARGV: entry, max size. → {1 added | 0 full, wake}.</summary>
    public static readonly Script Put = Of("iq.put", """
        local now = now_ms()
        local wake = 0
        if requeue_expired(now) > 0 and redis.call('HDEL', S, 'wg') == 1 then wake = 1 end
        local max = tonumber(ARGV[2])
        if max > 0 and redis.call('LLEN', L) >= max then
          redis.call('HSET', S, 'wp', 1)
          return { 0, wake }
        end
        -- Durable: the item is in the store's list when the put answers.
        redis.call('RPUSH', L, '0|' .. ARGV[1])
        redis.call('HINCRBY', S, 'unf', 1)
        if redis.call('HDEL', S, 'wg') == 1 then wake = 1 end
        return { 1, wake }
        """);

    /// <summary>ARGV: lease ms (0: none). → {0, wake, ms to the next lease expiry (0: none)} | {1, wake, entry, receipt}.</summary>
    public static readonly Script Get = Of("iq.get", """
        local now = now_ms()
        requeue_expired(now)
        local wake = 0
        local e = redis.call('LPOP', L)
        if not e then
          redis.call('HSET', S, 'wg', 1)
          return { 0, wake, next_expiry(now) }
        end
        if redis.call('HDEL', S, 'wp') == 1 then wake = 2 end
        -- Another get may find what the lease expiry put back.
        if redis.call('LLEN', L) > 0 and redis.call('HDEL', S, 'wg') == 1 then wake = wake + 1 end
        local lease = tonumber(ARGV[1])
        if lease > 0 then
          -- Held: the item stays in the store under its receipt until acknowledged or its lease runs out.
          local receipt = now .. '.' .. redis.call('HINCRBY', S, 'seq', 1)
          redis.call('HSET', T, receipt, e)
          redis.call('ZADD', Z, now + lease, receipt)
          return { 1, wake, e, receipt }
        end
        return { 1, wake, e, '' }
        """);

    /// <summary>ARGV: receipt ('' for none). → {1, wake} | {0 lost} | {-1 none unfinished}.</summary>
    public static readonly Script TaskDone = Of("iq.taskdone", """
        local now = now_ms()
        requeue_expired(now)
        if ARGV[1] ~= '' then
          -- Acknowledged: the held item is forgotten. One whose lease ran out is back in the queue.
          if redis.call('HDEL', T, ARGV[1]) == 0 then return { 0 } end
          redis.call('ZREM', Z, ARGV[1])
        end
        local unf = tonumber(redis.call('HGET', S, 'unf') or '0')
        if unf <= 0 then return { -1 } end
        unf = redis.call('HINCRBY', S, 'unf', -1)
        if unf == 0 and redis.call('HDEL', S, 'wj') == 1 then return { 1, 4 } end
        return { 1, 0 }
        """);

    /// <summary>ARGV: lease ms, receipts... → the receipts no longer held.</summary>
    public static readonly Script Renew = Of("iq.renew", """
        local now = now_ms()
        requeue_expired(now)
        local lost = {}
        for i = 2, #ARGV do
          if redis.call('ZSCORE', Z, ARGV[i]) then
            redis.call('ZADD', Z, 'XX', now + tonumber(ARGV[1]), ARGV[i])
          else
            lost[#lost + 1] = ARGV[i]
          end
        end
        return lost
        """);

    /// <summary>ARGV: 1 to wait for join. → {count, unfinished, held, wake}.</summary>
    public static readonly Script Info = Of("iq.info", """
        local now = now_ms()
        local wake = 0
        if requeue_expired(now) > 0 and redis.call('HDEL', S, 'wg') == 1 then wake = 1 end
        local unf = tonumber(redis.call('HGET', S, 'unf') or '0')
        if ARGV[1] == '1' and unf > 0 then redis.call('HSET', S, 'wj', 1) end
        return { redis.call('LLEN', L), unf, redis.call('ZCARD', Z), wake }
        """);
}
