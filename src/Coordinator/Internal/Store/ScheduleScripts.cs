namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// The state changes of recurring schedules, each one script over the schedule keys of shard 0
/// (<see cref="Keys.Schedules"/> and the three beside it). The scripts know nothing of cron: a
/// coordinator computes each next tick (Cronos) and a script only compares and sets tick times, by
/// the store's clock, so any number of coordinators may race for a tick and one wins it.
/// </summary>
internal static class ScheduleScripts
{
    private const string Clock = """
        local function now_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end

        """;

    /// KEYS: due (only to run where the schedules are). Returns the store's clock, Unix ms.
    public static readonly Script Now = new("schedule-now", Clock + """
        return string.format('%d', now_ms())
        """);

    /// KEYS: schedules, due. ARGV: id, definition, first tick (Unix ms; -1: the expression has none).
    /// Adds or replaces the schedule; its next tick is the one given. Returns 1 when it is new.
    public static readonly Script Put = new("schedule-put", """
        local fresh = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        if tonumber(ARGV[3]) >= 0 then
          redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
        else
          redis.call('ZREM', KEYS[2], ARGV[1])
        end
        return fresh
        """);

    /// KEYS: schedules, due, runs, unsent. ARGV: id. Removes the schedule: no tick of it is claimed
    /// after this. Returns 1 when there was one.
    public static readonly Script Remove = new("schedule-remove", """
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('HDEL', KEYS[3], ARGV[1])
        redis.call('ZREM', KEYS[4], ARGV[1])
        return redis.call('HDEL', KEYS[1], ARGV[1])
        """);

    /// KEYS: due, unsent. ARGV: most to return, ms after which a claimed tick not marked sent is taken up again.
    /// Returns (the store's clock in Unix ms; (id, tick) per schedule due now, earliest first; ms until
    /// the next tick after those, or -1; ids whose claimed tick was not marked sent in time).
    public static readonly Script Due = new("schedule-due", Clock + """
        local now = now_ms()
        local max = tonumber(ARGV[1])
        local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, max)
        local wait = -1
        local next = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
        if next[2] then wait = tonumber(next[2]) - now end
        local unsent = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]), 'LIMIT', 0, max)
        return { string.format('%d', now), due, wait, unsent }
        """);

    /// KEYS: schedules, due, runs, unsent. ARGV: id, tick (Unix ms), next tick (-1: none), the tick's task id.
    /// Claims the tick: only while the schedule exists, its next tick is still this one and it is
    /// due by the store's clock (compare and set, so of racing coordinators one wins). Moves the
    /// schedule on to the next tick and notes the claimed one as not sent yet. Returns 1 when claimed.
    public static readonly Script Claim = new("schedule-claim", Clock + """
        if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
        local tick = redis.call('ZSCORE', KEYS[2], ARGV[1])
        if not tick or tonumber(tick) ~= tonumber(ARGV[2]) then return 0 end
        local now = now_ms()
        if tonumber(ARGV[2]) > now then return 0 end
        if tonumber(ARGV[3]) >= 0 then
          redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
        else
          redis.call('ZREM', KEYS[2], ARGV[1])
        end
        redis.call('HSET', KEYS[3], ARGV[1], ARGV[2] .. '|' .. ARGV[4] .. '|' .. now .. '|0')
        redis.call('ZADD', KEYS[4], now, ARGV[1])
        return 1
        """);

    /// KEYS: runs, unsent. ARGV: id, tick. The claimed tick's task is in the store: marks it sent,
    /// unless a later tick was claimed meanwhile. Returns 1 when marked.
    public static readonly Script Sent = new("schedule-sent", """
        local run = redis.call('HGET', KEYS[1], ARGV[1])
        if not run then return 0 end
        local tick, id, at = string.match(run, '^(%d+)|(.*)|(%d+)|[01]$')
        if tick ~= ARGV[2] then return 0 end
        redis.call('HSET', KEYS[1], ARGV[1], tick .. '|' .. id .. '|' .. at .. '|1')
        redis.call('ZREM', KEYS[2], ARGV[1])
        return 1
        """);
}
