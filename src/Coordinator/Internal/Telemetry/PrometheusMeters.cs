using Cluster.Contracts;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Cluster.Coordinator.Internal.Telemetry;

/// <summary>
/// The meter provider behind <c>GET /metrics</c>: the <c>Cluster</c> meter and the runtime's own
/// (<c>System.Runtime</c>: collections and their pauses, CPU time, thread pool, JIT), exported as
/// Prometheus text. A type of its own, so that an application hosting the coordinator keeps its own
/// OpenTelemetry providers as they are.
/// </summary>
internal sealed class PrometheusMeters : IDisposable
{
    public MeterProvider Provider { get; } = Sdk.CreateMeterProviderBuilder()
        .AddClusterInstrumentation()
        .AddMeter(ClusterTelemetry.RuntimeMeterName)
        .AddPrometheusExporter()
        .Build();

    public void Dispose() => Provider.Dispose();
}
