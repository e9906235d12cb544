namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// The cluster's rates as the store keeps them for the dashboard, written once a second by each
/// coordinator (<see cref="StatsFlush"/>, from what <see cref="ClusterStats"/> counted), on shard 0:
/// a small hash per ten seconds of the writing coordinator's clock (<see cref="Keys.Stats"/>), its
/// fields counters that expire with it. Fields: <c>&lt;digit&gt;s</c>, <c>&lt;digit&gt;c</c>,
/// <c>&lt;digit&gt;f</c> the tasks submitted, completed with a value, and runs failed in that second
/// of the ten (digit 0-9); <c>e:&lt;type&gt;</c> failed runs by error type; <c>l&lt;b&gt;</c> the
/// sampled tasks that finished with a submit-to-end time in bucket b (milliseconds + 1 in
/// [2^(b/4), 2^((b+1)/4))); per task name over the ten seconds, <c>i|&lt;name&gt;</c> tasks stored,
/// <c>o|&lt;name&gt;</c> tasks out (runs that ended their task), <c>r|&lt;name&gt;</c> runs ended and
/// <c>t|&lt;name&gt;</c> their time in µs, for at most <see cref="ClusterStats.MaxNames"/> names a bucket
/// (<c>#n</c> counts them; a name that comes later is not kept in that bucket).
/// </summary>
internal static class StatsScript
{
    /// <summary>How long a bucket is kept: the dashboard's charts and failures reach five minutes back.</summary>
    public const int KeepSeconds = 330;

    /// <summary>
    /// KEYS: the bucket, the sampled tasks (sorted set id → submitted, Unix ms).
    /// ARGV: second digit, seconds to keep, now (ms), submitted, completed, failed, m, (error type, count) × m,
    /// n, (task name, stored, out, runs, run µs) × n, k, (id, submitted ms) × k of sampled tasks submitted, then (id, finished ms) of sampled tasks that
    /// finished: their submit-to-end time goes into the histogram, and they are forgotten. Samples older
    /// than an hour are dropped (a cancelled sampled task never finishes).
    /// Returns the finished ids whose submit time was not found (submitted through a coordinator that
    /// has not written it yet): the caller tries those once more at its next flush.
    /// </summary>
    public static readonly string Text = $$"""
        local unpack = table.unpack or unpack
        local B, S = KEYS[1], KEYS[2]
        local d = ARGV[1]
        local now = tonumber(ARGV[3])
        local fresh = false
        local function add(field, n)
          if n > 0 and redis.call('HINCRBY', B, field, n) == n then fresh = true end
        end
        add(d .. 's', tonumber(ARGV[4]))
        add(d .. 'c', tonumber(ARGV[5]))
        add(d .. 'f', tonumber(ARGV[6]))
        local i = 8
        for _ = 1, tonumber(ARGV[7]) do
          add('e:' .. ARGV[i], tonumber(ARGV[i + 1]))
          i = i + 2
        end
        local n = tonumber(ARGV[i])
        i = i + 1
        if n > 0 then
          local names = tonumber(redis.call('HGET', B, '#n') or '0')
          for _ = 1, n do
            local name = ARGV[i]
            local known = redis.call('HEXISTS', B, 'i|' .. name) == 1
            if not known and names < {{ClusterStats.MaxNames}} then
              names = names + 1
              redis.call('HSET', B, 'i|' .. name, 0, '#n', names)
              fresh = true
              known = true
            end
            if known then
              add('i|' .. name, tonumber(ARGV[i + 1]))
              add('o|' .. name, tonumber(ARGV[i + 2]))
              add('r|' .. name, tonumber(ARGV[i + 3]))
              add('t|' .. name, tonumber(ARGV[i + 4]))
            end
            i = i + 5
          end
        end
        local k = tonumber(ARGV[i])
        i = i + 1
        if k > 0 then
          local entries = {}
          for j = i, i + 2 * k - 1, 2 do
            entries[#entries + 1] = ARGV[j + 1]
            entries[#entries + 1] = ARGV[j]
          end
          for s = 1, #entries, 1000 do redis.call('ZADD', S, unpack(entries, s, math.min(s + 999, #entries))) end
          redis.call('ZREMRANGEBYSCORE', S, '-inf', now - 3600000)
          i = i + 2 * k
        end
        local missed = {}
        -- one HINCRBY per latency bucket a flush touches, not one per sampled task
        local buckets = {}
        if i < #ARGV then
          local ids = {}
          for j = i, #ARGV, 2 do ids[#ids + 1] = ARGV[j] end
          for s = 1, #ids, 500 do
            local chunk = { unpack(ids, s, math.min(s + 499, #ids)) }
            local at = redis.call('ZMSCORE', S, unpack(chunk))
            for j = 1, #chunk do
              if at[j] then
                local ms = math.max(0, tonumber(ARGV[i + 2 * (s + j - 2) + 1]) - tonumber(at[j]))
                local b = math.floor(math.log(ms + 1) / math.log(2) * 4)
                buckets[b] = (buckets[b] or 0) + 1
              else
                missed[#missed + 1] = chunk[j]
              end
            end
            redis.call('ZREM', S, unpack(chunk))
          end
        end
        for b, count in pairs(buckets) do add('l' .. b, count) end
        -- a field new in this bucket: the bucket may be new, and expires after the charts' reach
        if fresh then redis.call('EXPIRE', B, tonumber(ARGV[2])) end
        return missed
        """;

    /// <summary>The upper bound in milliseconds of latency bucket <paramref name="bucket"/>.</summary>
    public static double UpperMs(int bucket) => Math.Pow(2, (bucket + 1) / 4.0) - 1;
}
