using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// Every key of one shard of the store, under the shard's hash tag so each script touches a single
/// slot. Shard 0's tag is <c>{prefix}</c>: a one-shard store is the keyspace of one tag. The pub/sub
/// channels are the store's, not a shard's: they keep the tag of shard 0 whatever the shard.
/// </summary>
internal sealed class Keys
{
    private readonly string _tag;
    private readonly string _channels;

    /// <summary>The keys of shard 0 (of a one-shard store) under <paramref name="prefix"/>.</summary>
    public Keys(string prefix)
        : this(prefix, "{" + prefix + "}")
    {
    }

    /// <summary>The keys of a shard whose hash tag (braces included) is <paramref name="tag"/>.</summary>
    public Keys(string prefix, string tag)
    {
        _tag = tag;
        _channels = "{" + prefix + "}";
    }

    /// <summary>The shard's hash tag, braces included.</summary>
    public string Tag => _tag;

    public RedisKey Headers => _tag + ":h";
    public RedisKey Args => _tag + ":a";
    public RedisKey Names => _tag + ":names";
    public RedisKey Policies => _tag + ":pol";
    public RedisKey NamePolicies => _tag + ":npol";
    public RedisKey Errors => _tag + ":err";
    public RedisKey Delayed => _tag + ":delayed";
    public RedisKey DeadLetters => _tag + ":dead";
    /// <summary>The dead letters' ids by the time each was written: pages and expiry read it, not the whole hash.</summary>
    public RedisKey DeadLetterIndex => _tag + ":dead:at";
    public RedisKey Workers => _tag + ":workers";
    /// <summary>Dead letters an admin put back in their queues: their next outcome writes no completion (the client had one).</summary>
    public RedisKey Revived => _tag + ":revived";
    /// <summary>Finished tasks' completions (id → the completion as an outbox holds it), kept for the retention: what Tasks.Attach answers.</summary>
    public RedisKey Results => _tag + ":res";
    /// <summary>The ids of <see cref="Results"/> by the time each was written, to trim them past the retention; a submit of one is refused (an id is its identity's for the retention, in any session).</summary>
    public RedisKey ResultIndex => _tag + ":res:at";
    public RedisChannel ReadyChannel => RedisChannel.Literal(_channels + ":ready");
    public RedisChannel DoneChannel => RedisChannel.Literal(_channels + ":done");
    public RedisChannel EventsChannel => RedisChannel.Literal(_channels + ":events");
    public RedisChannel InterruptChannel => RedisChannel.Literal(_channels + ":interrupt");
    /// <summary>Timer notices: a delayed task due in some ms (its reaper re-arms), or the schedules changed.</summary>
    public RedisChannel TimersChannel => RedisChannel.Literal(_channels + ":timers");

    /// <summary>
    /// The ready tasks of a route (a task name, or "name|queue"): a sorted set in the order leasing
    /// takes them (see the <c>enqueue</c> function of <see cref="Scripts"/>).
    /// </summary>
    public RedisKey Queue(string route) => _tag + ":q:" + route;

    /// <summary>The dashboard's counters of the ten seconds <paramref name="tens"/> (Unix seconds / 10), see <see cref="StatsScript"/>.</summary>
    public RedisKey Stats(long tens) => _tag + ":st:" + tens.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The tasks sampled for the submit-to-end time: id → when submitted (ms, the store's clock).</summary>
    public RedisKey Sampled => _tag + ":st:sampled";

    /// <summary>The seven keys every task script starts with, then <paramref name="extra"/> more slots to fill.</summary>
    public RedisKey[] TaskKeys(int extra)
    {
        var list = new RedisKey[7 + extra];
        list[0] = Headers;
        list[1] = Args;
        list[2] = Policies;
        list[3] = NamePolicies;
        list[4] = Errors;
        list[5] = Delayed;
        list[6] = DeadLetters;
        return list;
    }
    public RedisKey Leased(string worker) => _tag + ":wl:" + worker;
    public RedisKey WorkerInfo(string worker) => _tag + ":wi:" + worker;
    public RedisKey WorkerOwner(string worker) => _tag + ":wo:" + worker;
    /// <summary>What a worker is busy with, "threads|coroutines", written at each heartbeat and expiring after a lease time (shard 0).</summary>
    public RedisKey WorkerBusy(string worker) => _tag + ":wb:" + worker;
    public RedisKey Outbox(string session) => _tag + ":o:" + session;
    public RedisKey Idempotency(string key) => _tag + ":idem:" + key;
    public RedisKey OutboxSequence(string session) => _tag + ":os:" + session;

    /// <summary>On shard 0 only: the schedules, id (scoped by identity) → definition (JSON).</summary>
    public RedisKey Schedules => _tag + ":sched";

    /// <summary>On shard 0 only: each schedule's next tick, id → Unix ms.</summary>
    public RedisKey ScheduleDue => _tag + ":sched:due";

    /// <summary>On shard 0 only: each schedule's last claimed tick, id → "tick|task id|claimed at|sent (0 or 1)".</summary>
    public RedisKey ScheduleRuns => _tag + ":sched:runs";

    /// <summary>On shard 0 only: schedules whose last claimed tick's task is not known to be stored yet, id → when claimed (ms).</summary>
    public RedisKey ScheduleUnsent => _tag + ":sched:unsent";

    /// <summary>
    /// On shard 0 only: the number of shards the store was laid out with, so that a coordinator
    /// started with another number is refused instead of losing sight of tasks.
    /// </summary>
    public RedisKey ShardCount => _tag + ":shards";

    /// <summary>
    /// The sessions homed on another shard whose completions this shard's scripts wrote into its own
    /// outbox of the session (a forward, waiting to be appended to the session's outbox) → when
    /// (ms): the reaper drains those a coordinator left behind.
    /// </summary>
    public RedisKey Forwards => _tag + ":fwd";

    /// <summary>On a session's home shard: the task ids whose forwarded completion its outbox holds, so a forward applied twice appends once.</summary>
    public RedisKey Appended(string session) => _tag + ":of:" + session;
}
