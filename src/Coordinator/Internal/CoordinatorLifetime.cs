using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cluster.Coordinator.Internal;

/// <summary>
/// Starts the coordinator's parts with the host, before the server takes calls: connects the task
/// store, loads the checks every call passes, subscribes to the store's notices, and runs the reaper (expired leases, retention).
/// </summary>
internal sealed class CoordinatorLifetime(IServiceProvider services, StoreConnection store) : IHostedService
{
    private Reaper? _reaper;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.ConnectAsync(cancellationToken).ConfigureAwait(false);
        // Now, not at the first call: a tokens file or certificate authority that does not load stops the start.
        services.GetRequiredService<Services.CoordinatorGate>();
        services.GetRequiredService<Notifier>();
        // The exporter of /metrics (an HTTP port) and the instruments exist before the first call.
        services.GetService<Telemetry.PrometheusMeters>();
        services.GetRequiredService<Telemetry.CoordinatorMetrics>();
        _reaper = services.GetRequiredService<Reaper>();
        await _reaper.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _reaper?.StopAsync(cancellationToken) ?? Task.CompletedTask;
}
