using Cluster.Contracts;

namespace OpenTelemetry.Trace;

/// <summary>Adds the cluster's spans to an OpenTelemetry tracer provider.</summary>
public static class ClusterTracerProviderBuilderExtensions
{
    /// <summary>
    /// Subscribes to the <c>Cluster</c> activity source: a task's submit and completion (client),
    /// its wait in the queue (coordinator) and its run (worker) become spans of one trace.
    /// </summary>
    public static TracerProviderBuilder AddClusterInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(ClusterTelemetry.SourceName);
    }
}
