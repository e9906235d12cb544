using System.Globalization;
using System.Text;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// How the keyspace is split into shards, each under a hash tag of its own so that every script
/// still touches one slot. Shard 0's tag is <c>{prefix}</c>, so a one-shard store is the keyspace
/// of one tag. A task lives in the shard of its id (of its idempotency key when it has one); a
/// session's outbox and sequence in the shard of the session (its home).
/// </summary>
internal sealed class ShardLayout
{
    /// <summary>Redis Cluster's number of hash slots.</summary>
    private const int Slots = 16384;

    /// <summary>Shards per master a store on Redis Cluster gets when no count is given.</summary>
    public const int ShardsPerMaster = 4;

    private readonly Keys[] _shards;

    /// <summary>A layout of <paramref name="count"/> shards under <paramref name="prefix"/>.</summary>
    public ShardLayout(string prefix, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Prefix = prefix;
        _shards = new Keys[count];
        _shards[0] = new Keys(prefix);
        if (count == 1)
        {
            return;
        }
        // Shard k > 0 takes a tag whose slot lies in a k-th part of the slot space (the parts shard 0
        // leaves free, in turn): the shards spread evenly over the slots, and so over the masters
        // of a cluster whose masters hold equal ranges, whatever the prefix.
        var taken = Part(Slot(_shards[0].Tag), count);
        for (var k = 1; k < count; k++)
        {
            var part = (taken + k) % count;
            var tag = "{" + prefix + ":" + k.ToString(CultureInfo.InvariantCulture) + "}";
            for (var attempt = 1; Part(Slot(tag), count) != part; attempt++)
            {
                tag = "{" + prefix + ":" + k.ToString(CultureInfo.InvariantCulture) + "." + attempt.ToString(CultureInfo.InvariantCulture) + "}";
            }
            _shards[k] = new Keys(prefix, tag);
        }
    }

    /// <summary>The prefix every key of the store starts with (inside its hash tag).</summary>
    public string Prefix { get; }

    /// <summary>How many shards.</summary>
    public int Count => _shards.Length;

    /// <summary>The keys of shard <paramref name="shard"/>.</summary>
    public Keys this[int shard] => _shards[shard];

    /// <summary>Shard 0's keys: the store's record of its layout and the pub/sub channels.</summary>
    public Keys Base => _shards[0];

    /// <summary>The shard of a task: that of its idempotency key when it has one (so a key and its task share a slot), else that of its id.</summary>
    public int OfTask(string taskId, string? idempotencyKey = null) =>
        Count == 1 ? 0 : Of(string.IsNullOrEmpty(idempotencyKey) ? taskId : "\u0001" + idempotencyKey);

    /// <summary>The home shard of a session: its outbox, sequence and appended ids live there.</summary>
    public int HomeOf(string session) => Count == 1 ? 0 : Of("\u0002" + session);

    /// <summary>
    /// Opens the layout of the store: the count it was laid out with, or, for a store that has none
    /// yet, <paramref name="requested"/> (0: 1 on a single server, <see cref="ShardsPerMaster"/> per
    /// master on Redis Cluster), which is then recorded on shard 0.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="requested"/> is not 0 and the store was laid out with another count.</exception>
    public static async Task<ShardLayout> OpenAsync(IConnectionMultiplexer redis, string prefix, int requested)
    {
        var count = requested > 0 ? requested : DefaultCount(redis);
        var key = new Keys(prefix).ShardCount;
        var db = redis.GetDatabase();
        // The first coordinator of a store records its count; every later one reads it.
        await db.StringSetAsync(key, count, when: When.NotExists).ConfigureAwait(false);
        var recorded = (int)await db.StringGetAsync(key).ConfigureAwait(false);
        if (recorded != count && requested > 0)
        {
            throw new ArgumentException($"Shards (--shards) is {requested}, but the store under prefix '{prefix}' holds {recorded} shards: start the coordinator with --shards {recorded} (or without --shards), or use another prefix (--prefix).");
        }
        return new ShardLayout(prefix, recorded);
    }

    /// <summary>1 on a single server or the embedded store; on Redis Cluster, <see cref="ShardsPerMaster"/> per master.</summary>
    private static int DefaultCount(IConnectionMultiplexer redis)
    {
        var servers = redis.GetServers();
        if (!servers.Any(s => s.ServerType == ServerType.Cluster))
        {
            return 1;
        }
        return Math.Max(1, servers.Count(s => s.IsConnected && !s.IsReplica)) * ShardsPerMaster;
    }

    private int Of(string text)
    {
        // FNV-1a over the UTF-8 bytes: stable across processes and versions (string.GetHashCode is not).
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 16777619u;
        }
        return (int)(hash % (uint)Count);
    }

    private static int Part(int slot, int count) => (int)((long)slot * count / Slots);

    /// <summary>The Redis Cluster hash slot of a key: CRC16 (XMODEM) of its hash tag, modulo 16384.</summary>
    public static int Slot(string key)
    {
        var open = key.IndexOf('{', StringComparison.Ordinal);
        if (open >= 0)
        {
            var close = key.IndexOf('}', open + 1);
            if (close > open + 1)
            {
                key = key[(open + 1)..close];
            }
        }
        ushort crc = 0;
        foreach (var b in Encoding.UTF8.GetBytes(key))
        {
            crc ^= (ushort)(b << 8);
            for (var i = 0; i < 8; i++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }
        }
        return crc % Slots;
    }
}
