using Cluster.Coordinator.Internal.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.Coordinator.Internal;

/// <summary>
/// Brings back the tasks of workers whose lease expired unnoticed (their coordinator died too).
/// Runs on every coordinator; the requeue script re-checks expiry, so parallel reapers are safe.
/// </summary>
internal sealed partial class Reaper(TaskStore store, CoordinatorOptions options, ILogger<Reaper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.HeartbeatInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                foreach (var worker in await store.ExpiredWorkersAsync().ConfigureAwait(false))
                {
                    var (requeued, _) = await store.RequeueAsync(worker, gone: false).ConfigureAwait(false);
                    if (requeued >= 0)
                    {
                        LogReaped(worker, requeued);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(e);
            }
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Lease of worker {WorkerId} expired; {Requeued} tasks requeued")]
    private partial void LogReaped(string workerId, int requeued);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Reaper pass failed")]
    private partial void LogFailed(Exception exception);
}
