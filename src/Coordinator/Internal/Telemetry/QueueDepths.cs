using System.Diagnostics;
using System.Diagnostics.Metrics;
using Cluster.Contracts;
using Cluster.Coordinator.Internal.Store;
using Microsoft.Extensions.Logging;

namespace Cluster.Coordinator.Internal.Telemetry;

/// <summary>
/// The queue depth per task name for <c>cluster.queue.depth</c>: read from the store (the status an
/// admin sees) only when the gauge is observed and the last reading is older than
/// <see cref="MaxAge"/>, in the background, so a storm of scrapes makes no storm of store calls and
/// a scrape never waits for the store. Nobody observing: no store call at all.
/// </summary>
internal sealed partial class QueueDepths(TaskStore store, ILogger<QueueDepths> logger)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private Measurement<long>[] _last = [];
    private long _readAt = long.MinValue;
    private int _reading;

    /// <summary>The last reading (none before the first), and a new one started when it is stale.</summary>
    public IEnumerable<Measurement<long>> Observe()
    {
        var readAt = Interlocked.Read(ref _readAt);
        if ((readAt == long.MinValue || Stopwatch.GetElapsedTime(readAt) >= MaxAge) && Interlocked.Exchange(ref _reading, 1) == 0)
        {
            _ = ReadAsync();
        }
        return Volatile.Read(ref _last);
    }

    /// <summary>Reads the depths; the observation after it shows them.</summary>
    private async Task ReadAsync()
    {
        try
        {
            var status = await store.StatusAsync().WaitAsync(MaxAge).ConfigureAwait(false);
            Volatile.Write(ref _last, [.. status.Queues.Select(q => new Measurement<long>(q.Queued, new KeyValuePair<string, object?>(ClusterTelemetry.TaskNameTag, q.Name)))]);
        }
        catch (Exception e)
        {
            // The store is away: the last reading stands; the health check says why.
            LogReadFailed(e.Message);
        }
        finally
        {
            Interlocked.Exchange(ref _readAt, Stopwatch.GetTimestamp());
            Volatile.Write(ref _reading, 0);
        }
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Debug, Message = "Queue depths not read for the metrics: {Reason}")]
    private partial void LogReadFailed(string reason);
}
