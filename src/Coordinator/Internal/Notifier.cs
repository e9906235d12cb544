using System.Collections.Concurrent;
using Cluster.Coordinator.Internal.Store;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal;

/// <summary>
/// Wakes this coordinator's loops from the store's pub/sub: worker lease loops when tasks they
/// handle become ready, completion streams when their session has new completions. Every
/// coordinator on the same store hears every notice, so any of them may serve any worker or client.
/// </summary>
internal sealed class Notifier
{
    private readonly ConcurrentDictionary<WorkerConnection, byte> _workers = new();
    private readonly ConcurrentDictionary<string, Signal> _sessions = new(StringComparer.Ordinal);

    public Notifier(IConnectionMultiplexer redis, Keys keys)
    {
        var subscriber = redis.GetSubscriber();
        subscriber.Subscribe(keys.ReadyChannel, (_, message) => OnReady(message!));
        subscriber.Subscribe(keys.DoneChannel, (_, message) => OnDone(message!));
    }

    public void Add(WorkerConnection worker) => _workers[worker] = 0;

    public void Remove(WorkerConnection worker) => _workers.TryRemove(worker, out _);

    public Signal Watch(string session)
    {
        var signal = new Signal();
        _sessions[session] = signal;
        return signal;
    }

    public void Unwatch(string session, Signal signal) =>
        _sessions.TryRemove(new KeyValuePair<string, Signal>(session, signal));

    private void OnReady(string message)
    {
        var names = message.Split('\n');
        foreach (var worker in _workers.Keys)
        {
            if (worker.HandlesAny(names))
            {
                worker.Wake.Set();
            }
        }
    }

    private void OnDone(string message)
    {
        foreach (var session in message.Split('\n'))
        {
            if (_sessions.TryGetValue(session, out var signal))
            {
                signal.Set();
            }
        }
    }
}
