using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal.Dashboard;

/// <summary>
/// Each queue's depth change per second since the last tick, from the store's status (the whole
/// cluster's). The rates in and out and the run times come from the store's counters: <see cref="DashboardStats"/>.
/// </summary>
internal sealed class DashboardRates
{
    private Dictionary<string, long> _depths = new(StringComparer.Ordinal);
    private DateTime _at;

    /// <summary>Forgets the last tick (no page is open).</summary>
    public void Reset()
    {
        _depths.Clear();
        _at = default;
    }

    /// <summary>Each queue's depth change per second since the last call (0 at the first), from the depths of <paramref name="status"/>.</summary>
    public IReadOnlyDictionary<string, double> Update(StatusReply status, DateTime now)
    {
        var seconds = _at == default ? 0 : Math.Max(0.001, (now - _at).TotalSeconds);
        _at = now;
        var depths = new Dictionary<string, long>(StringComparer.Ordinal);
        var changes = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var queue in status.Queues)
        {
            var route = Route(queue);
            depths[route] = queue.Queued;
            changes[route] = seconds > 0 && _depths.TryGetValue(route, out var before) ? (queue.Queued - before) / seconds : 0;
        }
        _depths = depths;
        return changes;
    }

    /// <summary>A status queue's key: its task name, and its routing queue after a '|' when not the default.</summary>
    public static string Route(QueueStatus queue) =>
        queue.Queue is { Length: > 0 } routed && routed != "default" ? queue.Name + "|" + routed : queue.Name;
}
