using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>Every key of the store, under one hash tag so each script touches a single slot.</summary>
internal sealed class Keys(string prefix)
{
    private readonly string _tag = "{" + prefix + "}";

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
    /// <summary>The ids of <see cref="Results"/> by the time each was written, to trim them past the retention.</summary>
    public RedisKey ResultIndex => _tag + ":res:at";
    public RedisChannel ReadyChannel => RedisChannel.Literal(_tag + ":ready");
    public RedisChannel DoneChannel => RedisChannel.Literal(_tag + ":done");
    public RedisChannel EventsChannel => RedisChannel.Literal(_tag + ":events");
    public RedisChannel InterruptChannel => RedisChannel.Literal(_tag + ":interrupt");

    public RedisKey Queue(string name) => _tag + ":q:" + name;

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
    public RedisKey Outbox(string session) => _tag + ":o:" + session;
    public RedisKey Idempotency(string key) => _tag + ":idem:" + key;
    public RedisKey OutboxSequence(string session) => _tag + ":os:" + session;

    /// <summary>
    /// The session's finished (completed, cancelled, dead-lettered) task ids → when, kept for the
    /// retention so that a submit of one again is refused: one small sorted-set entry per finished
    /// task (some 60 bytes and its id) for the retention window, trimmed as it is written.
    /// </summary>
    public RedisKey Finished(string session) => _tag + ":f:" + session;
}
