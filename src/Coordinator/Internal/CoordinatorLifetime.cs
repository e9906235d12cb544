using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cluster.Coordinator.Internal;

/// <summary>
/// Starts the coordinator's parts with the host, before the server takes calls: connects the task
/// store, loads the checks every call passes, subscribes to the store's notices, and runs the reaper (expired leases, delayed tasks, retention) and the schedule loop (recurring tasks).
/// </summary>
internal sealed class CoordinatorLifetime(IServiceProvider services, StoreConnection store) : IHostedService
{
    private Reaper? _reaper;
    private Schedules.ScheduleLoop? _schedules;

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
        _schedules = services.GetRequiredService<Schedules.ScheduleLoop>();
        await _schedules.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_schedules is not null)
        {
            await _schedules.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        if (_reaper is not null)
        {
            await _reaper.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
