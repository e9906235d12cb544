using Cluster.Contracts;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Cluster.Cli;

/// <summary>
/// With <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, a command sends the <c>Cluster</c> spans and metrics of
/// its process, with the runtime's own metrics (<c>System.Runtime</c>), over OTLP, configured by the standard OpenTelemetry environment variables
/// (<c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>OTEL_EXPORTER_OTLP_HEADERS</c>, <c>OTEL_SERVICE_NAME</c>,
/// <c>OTEL_RESOURCE_ATTRIBUTES</c>, <c>OTEL_BSP_SCHEDULE_DELAY</c>, <c>OTEL_METRIC_EXPORT_INTERVAL</c>).
/// A worker daemon's worker processes inherit the variables, so they export too. Unset: nothing
/// listens, and tracing costs nothing.
/// </summary>
internal static class OtlpExport
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The providers, flushed and stopped when disposed; null when no endpoint is set.</summary>
    public static IDisposable? Start(string command)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(EndpointVariable)))
        {
            return null;
        }
        var resource = ResourceBuilder.CreateDefault();
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME")))
        {
            resource.AddService("cluster-" + (command == "worker-process" ? "worker" : command));
        }
        var traces = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddClusterInstrumentation().AddOtlpExporter().Build();
        var metrics = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddClusterInstrumentation()
            .AddMeter(ClusterTelemetry.RuntimeMeterName).AddOtlpExporter().Build();
        return new Providers(traces, metrics);
    }

    private sealed class Providers(TracerProvider traces, MeterProvider metrics) : IDisposable
    {
        public void Dispose()
        {
            traces.Dispose();
            metrics.Dispose();
        }
    }
}
