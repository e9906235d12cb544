using System.Diagnostics.Metrics;
using Cluster.Contracts;

namespace Cluster.Worker.Internal.Telemetry;

/// <summary>
/// A worker process's slots on its own <c>Cluster</c> meter (disposed with the process):
/// <c>cluster.worker.slots.busy</c> and <c>cluster.worker.slots.total</c>, per kind (thread_pool, coroutine).
/// Read only when observed.
/// </summary>
internal sealed class WorkerMetrics : IDisposable
{
    private readonly Meter _meter = new(ClusterTelemetry.MeterName, typeof(WorkerMetrics).Assembly.GetName().Version?.ToString());

    /// <param name="slots">The slots now: (thread-pool busy, thread-pool total, coroutine busy, coroutine total).</param>
    public WorkerMetrics(Func<(int ThreadBusy, int ThreadTotal, int CoroutineBusy, int CoroutineTotal)> slots)
    {
        _meter.CreateObservableGauge("cluster.worker.slots.busy", () => Measure(slots(), busy: true), "{slot}", "Slots of this worker process that hold a task.");
        _meter.CreateObservableGauge("cluster.worker.slots.total", () => Measure(slots(), busy: false), "{slot}", "Slots of this worker process: on the thread pool, its threads and the tasks it leases ahead now.");
    }

    private static Measurement<int>[] Measure((int ThreadBusy, int ThreadTotal, int CoroutineBusy, int CoroutineTotal) now, bool busy) =>
    [
        new(busy ? now.ThreadBusy : now.ThreadTotal, new KeyValuePair<string, object?>("cluster.slot.kind", "thread_pool")),
        new(busy ? now.CoroutineBusy : now.CoroutineTotal, new KeyValuePair<string, object?>("cluster.slot.kind", "coroutine")),
    ];

    public void Dispose() => _meter.Dispose();
}
