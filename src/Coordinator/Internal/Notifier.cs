using System.Collections.Concurrent;
using Cluster.Coordinator.Internal.Store;
using Cluster.Protocol.V1;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal;

/// <summary>
/// Wakes this coordinator's loops from the store's pub/sub: worker lease loops when tasks they
/// handle become ready, completion streams when their session has new completions or notices,
/// worker streams when a task they run is to be interrupted. Every coordinator on the same store
/// hears every notice, so any of them may serve any worker or client.
/// </summary>
internal sealed class Notifier
{
    private readonly ConcurrentDictionary<string, WorkerConnection> _workers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SessionWatch> _sessions = new(StringComparer.Ordinal);

    public Notifier(IConnectionMultiplexer redis, Keys keys)
    {
        var subscriber = redis.GetSubscriber();
        subscriber.Subscribe(keys.ReadyChannel, (_, message) => OnReady(message!));
        subscriber.Subscribe(keys.DoneChannel, (_, message) => OnDone(message!));
        subscriber.Subscribe(keys.EventsChannel, (_, message) => OnEvents(message));
        subscriber.Subscribe(keys.InterruptChannel, (_, message) => OnInterrupt(message!));
    }

    public void Add(WorkerConnection worker) => _workers[worker.Id] = worker;

    public void Remove(WorkerConnection worker) =>
        _workers.TryRemove(new KeyValuePair<string, WorkerConnection>(worker.Id, worker));

    public SessionWatch Watch(string session)
    {
        var watch = new SessionWatch();
        _sessions[session] = watch;
        return watch;
    }

    public void Unwatch(string session, SessionWatch watch) =>
        _sessions.TryRemove(new KeyValuePair<string, SessionWatch>(session, watch));

    public void OnReady(string message)
    {
        var names = message.Split('\n');
        foreach (var worker in _workers.Values)
        {
            if (worker.HandlesAny(names))
            {
                worker.Wake.Set();
            }
        }
    }

    public void OnDone(string message)
    {
        foreach (var session in message.Split('\n'))
        {
            if (_sessions.TryGetValue(session, out var watch))
            {
                watch.Wake.Set();
            }
        }
    }

    private void OnEvents(RedisValue message)
    {
        var batch = CompletionBatch.Parser.ParseFrom((byte[])message!);
        SessionWatch? last = null;
        foreach (var e in batch.Events)
        {
            if (_sessions.TryGetValue(e.Session, out var watch))
            {
                watch.Add(e);
                if (!ReferenceEquals(watch, last))
                {
                    last?.Wake.Set();
                    last = watch;
                }
            }
        }
        last?.Wake.Set();
    }

    private void OnInterrupt(string message)
    {
        foreach (var line in message.Split('\n'))
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab > 0 && _workers.TryGetValue(line[..tab], out var worker))
            {
                worker.Outgoing.Writer.TryWrite(new CoordinatorMessage { Cancel = { line[(tab + 1)..] } });
            }
        }
    }
}
