using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// The keys of one item queue, under the queue's own hash tag <c>{prefix:iq:name}</c> (the name as
/// the store keeps it: scoped by its identity), so every queue script touches one slot and the
/// queues spread over a Redis Cluster's masters by name.
/// </summary>
internal readonly struct ItemQueueKeys
{
    public ItemQueueKeys(string prefix, string name)
    {
        var tag = "{" + prefix + ":iq:" + name + "}";
        All = [tag + ":l", tag + ":s", tag + ":t", tag + ":z"];
    }

    /// <summary>The list of entries, the counters hash, the held entries, the leases by expiry: in the order the scripts read them.</summary>
    public RedisKey[] All { get; }

    /// <summary>The store's one channel of queue notices: a kind character (g, p or j) and the queue's stored name.</summary>
    public static RedisChannel Channel(string prefix) => RedisChannel.Literal("{" + prefix + "}:iq");
}
