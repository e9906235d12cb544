using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Cluster.Coordinator.Internal.Telemetry;

/// <summary>
/// The meter provider behind <c>GET /metrics</c>: the <c>Cluster</c> meter, exported as Prometheus
/// text. A type of its own, so that an application hosting the coordinator keeps its own
/// OpenTelemetry providers as they are.
/// </summary>
internal sealed class PrometheusMeters : IDisposable
{
    public MeterProvider Provider { get; } = Sdk.CreateMeterProviderBuilder()
        .AddClusterInstrumentation()
        .AddPrometheusExporter()
        .Build();

    public void Dispose() => Provider.Dispose();
}
