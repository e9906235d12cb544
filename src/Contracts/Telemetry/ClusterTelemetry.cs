using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Cluster.Contracts;

/// <summary>
/// The names under which the client, the coordinator and the worker report traces and metrics:
/// one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named <c>Cluster</c>.
/// Nothing is measured or recorded until a listener (an OpenTelemetry provider, <c>dotnet-counters</c>,
/// a <see cref="MeterListener"/>) subscribes to them.
/// </summary>
public static class ClusterTelemetry
{
    /// <summary>The name of the <see cref="ActivitySource"/> of every span: <c>Cluster</c>.</summary>
    public const string SourceName = "Cluster";

    /// <summary>The name of the <see cref="Meter"/> of every instrument: <c>Cluster</c>.</summary>
    public const string MeterName = "Cluster";

    /// <summary>
    /// The .NET runtime's own meter, <c>System.Runtime</c>: collections and their pause time, CPU
    /// time, the thread pool, the JIT. The <c>cluster</c> processes export it beside
    /// <see cref="MeterName"/> (the coordinator's <c>/metrics</c>, and OTLP when configured).
    /// </summary>
    public const string RuntimeMeterName = "System.Runtime";

    /// <summary>The one source of this process's spans.</summary>
    internal static readonly ActivitySource Source = new(SourceName, typeof(ClusterTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>The one meter of this process's instruments.</summary>
    internal static readonly Meter Meter = new(MeterName, typeof(ClusterTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Bucket bounds (seconds) of the duration histograms: half a millisecond to five minutes.</summary>
    internal static readonly InstrumentAdvice<double> SecondsAdvice = new()
    {
        HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    };

    /// <summary>The tag that names a task's name on spans and instruments.</summary>
    internal const string TaskNameTag = "cluster.task.name";

    /// <summary>The tag of a span's task id.</summary>
    internal const string TaskIdTag = "cluster.task.id";

    /// <summary>The tag of a span's attempt.</summary>
    internal const string AttemptTag = "cluster.task.attempt";
}
