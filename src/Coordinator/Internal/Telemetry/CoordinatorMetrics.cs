using System.Diagnostics;
using System.Diagnostics.Metrics;
using Cluster.Contracts;
using Cluster.Coordinator.Internal.Store;
using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal.Telemetry;

/// <summary>
/// The coordinator's instruments on its own <c>Cluster</c> meter (disposed with the coordinator):
/// tasks submitted, completed, failed, retried and dead-lettered per task name, the time from a
/// lease sent to its result, the queue depth per name, and its workers' slots. With no listener an
/// instrument is off, and the counting loops are skipped.
/// </summary>
internal sealed class CoordinatorMetrics : IDisposable
{
    private readonly Meter _meter = new(ClusterTelemetry.MeterName, typeof(CoordinatorMetrics).Assembly.GetName().Version?.ToString());
    private readonly Counter<long> _submitted;
    private readonly Counter<long> _completed;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _retried;
    private readonly Counter<long> _deadLettered;
    private readonly Histogram<double> _duration;

    public CoordinatorMetrics(QueueDepths depths, Notifier notifier)
    {
        _submitted = _meter.CreateCounter<long>("cluster.tasks.submitted", "{task}", "Tasks stored by a submit (coordinator).");
        _completed = _meter.CreateCounter<long>("cluster.tasks.completed", "{task}", "Runs that returned a value (coordinator).");
        _failed = _meter.CreateCounter<long>("cluster.tasks.failed", "{task}", "Runs that ended in an error, retried or not (coordinator).");
        _retried = _meter.CreateCounter<long>("cluster.tasks.retried", "{task}", "Failed runs whose task waits out a backoff to run again (coordinator).");
        _deadLettered = _meter.CreateCounter<long>("cluster.tasks.dead_lettered", "{task}", "Tasks moved to the dead letters (coordinator).");
        _duration = _meter.CreateHistogram<double>("cluster.task.duration", "s", "Time from a task's lease sent to a worker to its result received (coordinator).", tags: null, ClusterTelemetry.SecondsAdvice);
        _meter.CreateObservableGauge("cluster.queue.depth", depths.Observe, "{task}", "Tasks waiting in each task name's queue, read from the store at most every 5 s.");
        _meter.CreateObservableGauge("cluster.worker.slots.busy", () => Slots(notifier, busy: true), "{slot}", "Slots of the workers connected to this coordinator that hold a task.");
        _meter.CreateObservableGauge("cluster.worker.slots.total", () => Slots(notifier, busy: false), "{slot}", "Slots of the workers connected to this coordinator.");
    }

    /// <summary>Whether anything listens to the counters of finished runs (else the caller need not gather names).</summary>
    public bool RunsObserved => _completed.Enabled || _failed.Enabled || _retried.Enabled || _deadLettered.Enabled || _duration.Enabled;

    /// <summary>Counts the tasks of a submit that the store took (those it refused or found full are not).</summary>
    public void Submitted(IReadOnlyList<TaskSpec> tasks, SubmitOutcome outcome)
    {
        if (!_submitted.Enabled)
        {
            return;
        }
        var refused = new HashSet<int>(outcome.Refused.Select(r => r.Index).Concat(outcome.Full.Select(f => f.Index)));
        var counts = new Counts();
        for (var i = 0; i < tasks.Count; i++)
        {
            if (!refused.Contains(i))
            {
                counts.Add(_submitted, tasks[i].Name);
            }
        }
        counts.Flush(_submitted);
    }

    /// <summary>
    /// Counts a committed batch of results by what the store did with each (<paramref name="codes"/>, one
    /// letter per result: c committed, r retrying, d dead-lettered, s stale), and records each run's
    /// duration; <paramref name="leases"/> gives each result's name and when it was sent.
    /// </summary>
    public void Committed(IReadOnlyList<TaskResult> results, (string Name, long SentAt)[] leases, string codes)
    {
        var now = Stopwatch.GetTimestamp();
        for (var i = 0; i < results.Count; i++)
        {
            var (name, sentAt) = leases[i];
            var code = i < codes.Length ? codes[i] : 's';
            if (name is null || code == 's')
            {
                continue; // stale: another attempt's outcome counts
            }
            var tag = new KeyValuePair<string, object?>(ClusterTelemetry.TaskNameTag, name);
            _duration.Record(Stopwatch.GetElapsedTime(sentAt, now).TotalSeconds, tag);
            if (results[i].OutcomeCase == TaskResult.OutcomeOneofCase.Error)
            {
                _failed.Add(1, tag);
            }
            else if (results[i].OutcomeCase == TaskResult.OutcomeOneofCase.Value)
            {
                _completed.Add(1, tag);
            }
            if (code == 'r')
            {
                _retried.Add(1, tag);
            }
            else if (code == 'd')
            {
                _deadLettered.Add(1, tag, new KeyValuePair<string, object?>("cluster.dead_letter.reason", "failed"));
            }
        }
    }

    /// <summary>Tasks dead-lettered because their worker vanished too often (their names are not known here).</summary>
    public void LostRunsDeadLettered(int count)
    {
        if (count > 0)
        {
            _deadLettered.Add(count, new KeyValuePair<string, object?>("cluster.dead_letter.reason", "lost_runs"));
        }
    }

    private static IEnumerable<Measurement<int>> Slots(Notifier notifier, bool busy)
    {
        int threads = 0, coroutines = 0;
        foreach (var worker in notifier.Connected)
        {
            var t = worker.SlotUse(ExecutionKind.ThreadPool);
            var c = worker.SlotUse(ExecutionKind.Coroutine);
            threads += busy ? t.Busy : t.Total;
            coroutines += busy ? c.Busy : c.Total;
        }
        return
        [
            new Measurement<int>(threads, new KeyValuePair<string, object?>("cluster.slot.kind", "thread_pool")),
            new Measurement<int>(coroutines, new KeyValuePair<string, object?>("cluster.slot.kind", "coroutine")),
        ];
    }

    public void Dispose() => _meter.Dispose();

    /// <summary>Adds a run of one name at once: a batch usually holds one name or a few.</summary>
    private struct Counts
    {
        private string? _name;
        private long _count;

        public void Add(Counter<long> counter, string name)
        {
            if (!string.Equals(name, _name, StringComparison.Ordinal))
            {
                Flush(counter);
                _name = name;
            }
            _count++;
        }

        public void Flush(Counter<long> counter)
        {
            if (_count > 0)
            {
                counter.Add(_count, new KeyValuePair<string, object?>(ClusterTelemetry.TaskNameTag, _name));
            }
            _count = 0;
        }
    }
}
