using System.Diagnostics.Metrics;
using Cluster.Contracts;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class ClusterStats
{
    /// <summary>
    /// Counts the runs that ended per task name from the coordinator's own <c>Cluster</c> meter, where
    /// its complete path already records them with their name and time (the store's verdicts carry no
    /// name): each <c>cluster.task.duration</c> is a run ended, each <c>cluster.tasks.retried</c> one
    /// whose task did not go out. Dispose to stop. The meter is the process's: two coordinators hosted
    /// in one process would each count the other's runs too.
    /// </summary>
    public IDisposable ListenToRuns()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = static (instrument, l) =>
            {
                if (instrument.Meter.Name == ClusterTelemetry.MeterName && instrument.Name is "cluster.task.duration" or "cluster.tasks.retried")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            if (NameOf(tags) is { } name)
            {
                AddRun(name, seconds);
            }
        });
        listener.SetMeasurementEventCallback<long>((_, count, tags, _) =>
        {
            if (NameOf(tags) is { } name)
            {
                AddRetried(name, count);
            }
        });
        listener.Start();
        return listener;
    }

    private static string? NameOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == ClusterTelemetry.TaskNameTag)
            {
                return tag.Value as string;
            }
        }
        return null;
    }
}
