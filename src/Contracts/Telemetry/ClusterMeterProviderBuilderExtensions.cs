using Cluster.Contracts;

namespace OpenTelemetry.Metrics;

/// <summary>Adds the cluster's instruments to an OpenTelemetry meter provider.</summary>
public static class ClusterMeterProviderBuilderExtensions
{
    /// <summary>Subscribes to the <c>Cluster</c> meter (task counters, queue depth, durations, worker slots).</summary>
    public static MeterProviderBuilder AddClusterInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(ClusterTelemetry.MeterName);
    }
}
