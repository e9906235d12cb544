using System.Collections.Concurrent;
using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal;

/// <summary>One open completion stream on this coordinator: its wake-up and its pending notices.</summary>
internal sealed class SessionWatch
{
    private const int MaxPendingEvents = 10_000;
    private readonly ConcurrentQueue<TaskEvent> _events = new();

    public Signal Wake { get; } = new();

    /// <summary>Queues a started or progress notice; past the bound, notices are dropped (they are advisory).</summary>
    public void Add(TaskEvent taskEvent)
    {
        if (_events.Count < MaxPendingEvents)
        {
            _events.Enqueue(taskEvent);
        }
    }

    public void DrainEventsInto(CompletionBatch batch)
    {
        while (batch.Events.Count < MaxPendingEvents && _events.TryDequeue(out var e))
        {
            batch.Events.Add(e);
        }
    }
}
