using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Cluster.Contracts;
using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal.Dashboard;

/// <summary>
/// What changed since the last tick: the tasks this coordinator took in, finished and saw fail (its own
/// <c>Cluster</c> meter's counters, heard only while a page listens), the mean run time, and each
/// queue's depth change, which the store's status gives for the whole cluster.
/// </summary>
internal sealed class DashboardRates
{
    private readonly ConcurrentDictionary<string, Counts> _byName = new(StringComparer.Ordinal);
    private readonly Counts _all = new();
    private MeterListener? _listener;
    private Dictionary<string, long> _depths = new(StringComparer.Ordinal);
    private DateTime _at;

    /// <summary>One tick's figures: per second, over the time since the last tick.</summary>
    public sealed record Tick(double Submitted, double Completed, double Failed, double DeadLettered, double MeanRunMs, IReadOnlyDictionary<string, QueueRate> Queues);

    /// <summary>A queue's rates: tasks taken in and out by this coordinator, and the cluster-wide depth change.</summary>
    public sealed record QueueRate(double In, double Out, double Change);

    /// <summary>Stops listening (no page is open) and forgets the last tick.</summary>
    public void Reset()
    {
        _listener?.Dispose();
        _listener = null;
        _depths.Clear();
        _byName.Clear();
        _all.Take();
    }

    /// <summary>Takes the counts since the last call and the depths of <paramref name="status"/>.</summary>
    public Tick Update(StatusReply status, DateTime now)
    {
        _listener ??= Listen();
        var seconds = _at == default ? 0 : Math.Max(0.001, (now - _at).TotalSeconds);
        _at = now;
        double Per(long count) => seconds == 0 ? 0 : count / seconds;
        var depths = new Dictionary<string, long>(StringComparer.Ordinal);
        var queues = new Dictionary<string, QueueRate>(StringComparer.Ordinal);
        foreach (var queue in status.Queues)
        {
            depths[queue.Name] = queue.Queued;
            var counts = _byName.TryGetValue(queue.Name, out var c) ? c.Take() : default;
            var change = _depths.TryGetValue(queue.Name, out var before) ? queue.Queued - before : 0;
            queues[queue.Name] = new QueueRate(Per(counts.Submitted), Per(counts.Completed + counts.Failed - counts.Retried), Per(change));
        }
        _depths = depths;
        var all = _all.Take();
        return new Tick(Per(all.Submitted), Per(all.Completed), Per(all.Failed), Per(all.DeadLettered),
            all.Runs == 0 ? 0 : all.RunSeconds * 1000 / all.Runs, queues);
    }

    private MeterListener Listen()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ClusterTelemetry.MeterName && instrument.Name is "cluster.tasks.submitted" or "cluster.tasks.completed"
                    or "cluster.tasks.failed" or "cluster.tasks.retried" or "cluster.tasks.dead_lettered" or "cluster.task.duration")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Count(instrument.Name, value, 0, tags));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Count(instrument.Name, 1, value, tags));
        listener.Start();
        return listener;
    }

    private void Count(string instrument, long value, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? name = null;
        foreach (var tag in tags)
        {
            if (tag.Key == ClusterTelemetry.TaskNameTag)
            {
                name = tag.Value as string;
            }
        }
        _all.Add(instrument, value, seconds);
        if (name is not null)
        {
            _byName.GetOrAdd(name, _ => new Counts()).Add(instrument, value, seconds);
        }
    }

    /// <summary>Counters one tick drains.</summary>
    private sealed class Counts
    {
        private long _submitted, _completed, _failed, _retried, _deadLettered, _runs, _runMicros;

        public void Add(string instrument, long value, double seconds)
        {
            switch (instrument)
            {
                case "cluster.tasks.submitted": Interlocked.Add(ref _submitted, value); break;
                case "cluster.tasks.completed": Interlocked.Add(ref _completed, value); break;
                case "cluster.tasks.failed": Interlocked.Add(ref _failed, value); break;
                case "cluster.tasks.retried": Interlocked.Add(ref _retried, value); break;
                case "cluster.tasks.dead_lettered": Interlocked.Add(ref _deadLettered, value); break;
                default:
                    Interlocked.Increment(ref _runs);
                    Interlocked.Add(ref _runMicros, (long)(seconds * 1_000_000));
                    break;
            }
        }

        public Taken Take() => new(Interlocked.Exchange(ref _submitted, 0), Interlocked.Exchange(ref _completed, 0), Interlocked.Exchange(ref _failed, 0),
            Interlocked.Exchange(ref _retried, 0), Interlocked.Exchange(ref _deadLettered, 0), Interlocked.Exchange(ref _runs, 0), Interlocked.Exchange(ref _runMicros, 0) / 1_000_000.0);
    }

    private readonly record struct Taken(long Submitted, long Completed, long Failed, long Retried, long DeadLettered, long Runs, double RunSeconds);
}
