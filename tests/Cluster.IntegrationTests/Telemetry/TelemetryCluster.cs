using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Telemetry;

/// <summary>
/// `cluster up` with one worker process whose processes (the coordinator in `up`, and the worker
/// process) export their spans over OTLP to a receiver in the test process.
/// </summary>
public abstract class TelemetryCluster : ClusterFixture, IAsyncLifetime
{
    protected TelemetryCluster(bool redis)
        : base(processes: 1, redis)
    {
        Receiver = new OtlpReceiver();
        Environment = Receiver.Environment;
    }

    public OtlpReceiver Receiver { get; }

    Task IAsyncLifetime.InitializeAsync() => InitializeAsync();

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        Receiver.Dispose();
    }
}

public sealed class EmbeddedTelemetryCluster() : TelemetryCluster(redis: false);

public sealed class RedisTelemetryCluster() : TelemetryCluster(redis: true);
