namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// Every state transition of a task is one of these scripts. Each declares every key it touches
/// in KEYS, and all keys share one hash tag, so they run atomically on Redis, Redis Cluster and Garnet.
/// </summary>
/// <remarks>
/// A task is two hash fields: its header in the headers hash, "state|attempt|session|name|worker"
/// (state q = queued, l = leased), and its JSON arguments in the args hash. A finished or cancelled
/// task has neither; its id may linger in a queue list as a tombstone that leasing skips.
/// </remarks>
internal static class Scripts
{
    private const string Prelude = """
        local unpack = table.unpack or unpack
        local function now_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        -- LPOP with a count answers a bare string for one element on Garnet, a table on Redis.
        local function lpop(q, n)
          local r = redis.call('LPOP', q, n)
          if type(r) == 'string' then return { r } end
          return r
        end
        local function parse(h)
          return string.match(h, '^(%a)|(%d+)|([^|]*)|([^|]*)|(.*)$')
        end

        """;

    /// KEYS: headers, args, names, queue of name 1..n.
    /// ARGV: session, n, name 1..n, then (id, name index, args) per task.
    /// Returns the indexes of tasks whose id exists already.
    public static readonly Script Submit = new("submit", Prelude + """
        local session = ARGV[1]
        local nn = tonumber(ARGV[2])
        local base = 3 + nn
        local pending = {}
        local dups = {}
        local k = 0
        for i = base, #ARGV, 3 do
          local id = ARGV[i]
          local ni = tonumber(ARGV[i + 1])
          -- durable: the task is in the store before the submit is acknowledged
          if redis.call('HSETNX', KEYS[1], id, 'q|0|' .. session .. '|' .. ARGV[2 + ni] .. '|') == 1 then
            redis.call('HSET', KEYS[2], id, ARGV[i + 2])
            local p = pending[ni]
            if not p then p = {}; pending[ni] = p end
            p[#p + 1] = id
          else
            dups[#dups + 1] = k
          end
          k = k + 1
        end
        for ni, ids in pairs(pending) do
          for s = 1, #ids, 1000 do
            redis.call('RPUSH', KEYS[3 + ni], unpack(ids, s, math.min(s + 999, #ids)))
          end
        end
        redis.call('SADD', KEYS[3], unpack(ARGV, 3, 2 + nn))
        return dups
        """);

    /// KEYS: headers, args, the worker's leased set, workers, queue 1..n.
    /// ARGV: worker, max tasks, rotation.
    /// Returns (id, name, args, attempt, session) per leased task.
    public static readonly Script Lease = new("lease", Prelude + """
        if not redis.call('ZSCORE', KEYS[4], ARGV[1]) then
          return redis.error_reply('NOWORKER worker ' .. ARGV[1] .. ' is not registered')
        end
        local want = tonumber(ARGV[2])
        local nq = #KEYS - 4
        local start = tonumber(ARGV[3]) % nq
        local out = {}
        local got = 0
        for j = 0, nq - 1 do
          if got >= want then break end
          local q = KEYS[5 + (start + j) % nq]
          while got < want do
            local ids = lpop(q, want - got)
            if not ids then break end
            for _, id in ipairs(ids) do
              local h = redis.call('HGET', KEYS[1], id)
              if h then
                local st, at, se, nm = parse(h)
                if st == 'q' then
                  -- leased: the attempt number is the fencing token of this lease
                  at = tonumber(at) + 1
                  redis.call('HSET', KEYS[1], id, 'l|' .. at .. '|' .. se .. '|' .. nm .. '|' .. ARGV[1])
                  redis.call('SADD', KEYS[3], id)
                  got = got + 1
                  out[#out + 1] = id
                  out[#out + 1] = nm
                  out[#out + 1] = redis.call('HGET', KEYS[2], id)
                  out[#out + 1] = at
                  out[#out + 1] = se
                end
              end
            end
          end
        end
        return out
        """);

    /// KEYS: headers, args, the worker's leased set, then (outbox, outbox sequence) per session.
    /// ARGV: worker, retention seconds, number of sessions, session 1..n, then (id, attempt, session index, completion) per result.
    /// Returns (accepted, stale).
    public static readonly Script Complete = new("complete", Prelude + """
        local ns = tonumber(ARGV[3])
        local ttl = tonumber(ARGV[2])
        local accepted, stale = 0, 0
        local touched = {}
        for i = 4 + ns, #ARGV, 4 do
          local id = ARGV[i]
          local si = tonumber(ARGV[i + 2])
          local h = redis.call('HGET', KEYS[1], id)
          local ok = false
          if h then
            local st, at, se, nm, wk = parse(h)
            -- fenced: only the current attempt of the current lease holder may finish the task
            if st == 'l' and at == ARGV[i + 1] and wk == ARGV[1] and se == ARGV[3 + si] then
              redis.call('HDEL', KEYS[1], id)
              redis.call('HDEL', KEYS[2], id)
              redis.call('SREM', KEYS[3], id)
              local seq = redis.call('INCR', KEYS[3 + 2 * si])
              redis.call('ZADD', KEYS[2 + 2 * si], seq, ARGV[i + 3])
              touched[si] = true
              accepted = accepted + 1
              ok = true
            end
          end
          if not ok then stale = stale + 1 end
        end
        for si, _ in pairs(touched) do
          redis.call('EXPIRE', KEYS[2 + 2 * si], ttl)
          redis.call('EXPIRE', KEYS[3 + 2 * si], ttl)
        end
        return { accepted, stale }
        """);

    /// KEYS: headers, args, outbox, outbox sequence of the session.
    /// ARGV: session, retention seconds, interrupt ('1' or '0'), then (id, completion) per task.
    /// Returns (code, worker) per task: code 1 when it was queued and is now cancelled; 2 when it is
    /// leased and interrupt was asked (worker holds it); else 0.
    public static readonly Script Cancel = new("cancel", Prelude + """
        local out = {}
        local any = false
        for i = 4, #ARGV, 2 do
          local id = ARGV[i]
          local h = redis.call('HGET', KEYS[1], id)
          local r, holder = 0, ''
          if h then
            local st, at, se, nm, wk = parse(h)
            if se == ARGV[1] and st == 'q' then
              -- the id stays in its queue as a tombstone: leasing skips ids without a header
              redis.call('HDEL', KEYS[1], id)
              redis.call('HDEL', KEYS[2], id)
              local seq = redis.call('INCR', KEYS[4])
              redis.call('ZADD', KEYS[3], seq, ARGV[i + 1])
              any = true
              r = 1
            elseif se == ARGV[1] and st == 'l' and ARGV[3] == '1' then
              r, holder = 2, wk
            end
          end
          out[#out + 1] = r
          out[#out + 1] = holder
        end
        if any then
          redis.call('EXPIRE', KEYS[3], tonumber(ARGV[2]))
          redis.call('EXPIRE', KEYS[4], tonumber(ARGV[2]))
        end
        return out
        """);

    /// KEYS: workers, the worker's info.
    /// ARGV: worker, lease ms, info ('' for a heartbeat).
    /// Returns 1 while the worker is registered, 0 when it had been reaped (a heartbeat registers it again).
    public static readonly Script Heartbeat = new("heartbeat", Prelude + """
        local deadline = now_ms() + tonumber(ARGV[2])
        if ARGV[3] ~= '' then
          redis.call('SET', KEYS[2], ARGV[3])
        end
        local known = redis.call('ZSCORE', KEYS[1], ARGV[1])
        -- the lease of every task this worker holds lives until this deadline, by the store's clock
        redis.call('ZADD', KEYS[1], deadline, ARGV[1])
        if known then return 1 end
        return 0
        """);

    /// KEYS: workers. Returns up to 100 workers whose lease has expired by the store's clock.
    public static readonly Script Expired = new("expired", Prelude + """
        return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms(), 'LIMIT', 0, 100)
        """);

    /// KEYS: headers, the worker's leased set, workers, the worker's info, queue 1..n.
    /// ARGV: worker, gone ('1' when its stream broke; else only if its lease expired), name 1..n.
    /// Returns (requeued, left) — left counts tasks whose queue was not among KEYS; -1 when the worker is alive.
    public static readonly Script Requeue = new("requeue", Prelude + """
        if ARGV[2] ~= '1' then
          local score = redis.call('ZSCORE', KEYS[3], ARGV[1])
          if score and tonumber(score) > now_ms() then return { -1, 0 } end
        end
        local queues = {}
        for i = 3, #ARGV do queues[ARGV[i]] = KEYS[2 + i] end
        local n, left = 0, 0
        for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
          local h = redis.call('HGET', KEYS[1], id)
          local keep = false
          if h then
            local st, at, se, nm, wk = parse(h)
            if st == 'l' and wk == ARGV[1] then
              local q = queues[nm]
              if q then
                -- the lease holder vanished: back to the front of its queue, to run again
                redis.call('HSET', KEYS[1], id, 'q|' .. at .. '|' .. se .. '|' .. nm .. '|')
                redis.call('LPUSH', q, id)
                n = n + 1
              else
                keep = true
                left = left + 1
              end
            end
          end
          if not keep then redis.call('SREM', KEYS[2], id) end
        end
        if left == 0 then
          redis.call('DEL', KEYS[2])
          redis.call('ZREM', KEYS[3], ARGV[1])
          redis.call('DEL', KEYS[4])
        end
        return { n, left }
        """);
}
