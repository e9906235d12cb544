namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// The cluster's rates as the store keeps them for the dashboard, written once per submit or complete
/// batch (not per task) beside the batch's own script: a small hash per shard and ten seconds of the
/// writing coordinator's clock (<see cref="Keys.Stats"/>), its fields counters that expire with it.
/// Fields: <c>&lt;digit&gt;s</c>, <c>&lt;digit&gt;c</c>, <c>&lt;digit&gt;f</c> the tasks submitted,
/// completed with a value, and runs failed in that second of the ten (digit 0-9); <c>e:&lt;type&gt;</c>
/// failed runs by error type; <c>l&lt;b&gt;</c> the sampled tasks that finished with a submit-to-end
/// time in bucket b (milliseconds + 1 in [2^(b/4), 2^((b+1)/4)), the store's clock).
/// </summary>
internal static class StatsScript
{
    /// <summary>How long a bucket is kept: the dashboard's charts and failures reach five minutes back.</summary>
    public const int KeepSeconds = 330;

    /// <summary>
    /// KEYS: the bucket, the sampled tasks (sorted set id → submitted, ms).
    /// ARGV: second digit, seconds to keep, submitted, completed, failed, m, (error type, count) × m,
    /// then 's' and sampled ids just stored (their submit time is noted), or 'c' and sampled ids that
    /// finished (their time goes into the histogram, and they are forgotten). Samples older than an hour
    /// are dropped as new ones come (a cancelled sampled task never finishes).
    /// </summary>
    public const string Text = """
        local unpack = table.unpack or unpack
        local B, S = KEYS[1], KEYS[2]
        local d = ARGV[1]
        local fresh = false
        local function add(field, n)
          if n > 0 and redis.call('HINCRBY', B, field, n) == n then fresh = true end
        end
        add(d .. 's', tonumber(ARGV[3]))
        add(d .. 'c', tonumber(ARGV[4]))
        add(d .. 'f', tonumber(ARGV[5]))
        local i = 7
        for _ = 1, tonumber(ARGV[6]) do
          add('e:' .. ARGV[i], tonumber(ARGV[i + 1]))
          i = i + 2
        end
        if i < #ARGV then
          local t = redis.call('TIME')
          local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
          local ids = {}
          for j = i + 1, #ARGV do ids[#ids + 1] = ARGV[j] end
          if ARGV[i] == 's' then
            local entries = {}
            for _, id in ipairs(ids) do
              entries[#entries + 1] = now
              entries[#entries + 1] = id
            end
            redis.call('ZADD', S, unpack(entries))
            redis.call('ZREMRANGEBYSCORE', S, '-inf', now - 3600000)
          else
            local at = redis.call('ZMSCORE', S, unpack(ids))
            for j = 1, #ids do
              if at[j] then
                local ms = math.max(0, now - tonumber(at[j]))
                add('l' .. math.floor(math.log(ms + 1) / math.log(2) * 4), 1)
              end
            end
            redis.call('ZREM', S, unpack(ids))
          end
        end
        -- a field new in this bucket: the bucket may be new, and expires after the charts' reach
        if fresh then redis.call('EXPIRE', B, tonumber(ARGV[2])) end
        return 0
        """;

    /// <summary>One task in 16 is sampled for the submit-to-end time, chosen by its id so every coordinator agrees.</summary>
    public static bool Sampled(string id)
    {
        // FNV-1a: stable across processes (string.GetHashCode is not).
        var hash = 2166136261u;
        foreach (var c in id)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return (hash & 15) == 0;
    }

    /// <summary>The upper bound in milliseconds of latency bucket <paramref name="bucket"/>.</summary>
    public static double UpperMs(int bucket) => Math.Pow(2, (bucket + 1) / 4.0) - 1;
}
