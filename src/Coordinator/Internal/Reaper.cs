using Cluster.Coordinator.Internal.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal;

/// <summary>
/// Brings back the tasks of workers whose lease expired unnoticed (their coordinator died too), and
/// moves tasks whose retry backoff has passed back into their queues. Runs on every coordinator;
/// the scripts re-check expiry and due times by the store's clock, so parallel reapers are safe.
/// </summary>
internal sealed partial class Reaper : BackgroundService
{
    private readonly TaskStore _store;
    private readonly CoordinatorOptions _options;
    private readonly ILogger<Reaper> _logger;
    private int _sweepDue = 1;

    public Reaper(TaskStore store, CoordinatorOptions options, IConnectionMultiplexer redis, ILogger<Reaper> logger)
    {
        _store = store;
        _options = options;
        _logger = logger;
        // A store that came back may have been restored from a point where leases and worker sets disagree.
        redis.ConnectionRestored += (_, _) =>
        {
            Volatile.Write(ref _sweepDue, 1);
            Wake.Set();
        };
    }

    /// <summary>Woken when this coordinator schedules a retry, so a short backoff is not rounded up to a full pass.</summary>
    public Signal Wake { get; } = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = _options.HeartbeatInterval;
            Wake.Reset();
            try
            {
                // At start, and after the store connection comes back: leases no registered worker holds.
                if (Interlocked.Exchange(ref _sweepDue, 0) == 1 && await _store.SweepOrphanedLeasesAsync().ConfigureAwait(false) is > 0 and var swept)
                {
                    LogSwept(swept);
                }
                var (expired, due, next) = await _store.DueAsync().ConfigureAwait(false);
                foreach (var worker in expired)
                {
                    var (requeued, dead) = await _store.RequeueAsync(worker, gone: false).ConfigureAwait(false);
                    if (requeued >= 0)
                    {
                        LogReaped(worker, requeued, dead);
                    }
                }
                if (due > 0)
                {
                    await _store.PromoteAsync().ConfigureAwait(false);
                    wait = TimeSpan.Zero;
                }
                else if (next is { } soon && soon < wait)
                {
                    wait = soon;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(e);
            }
            if (wait > TimeSpan.Zero)
            {
                await Wake.WaitAsync(wait, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Lease of worker {WorkerId} expired; {Requeued} tasks requeued, {DeadLettered} dead-lettered")]
    private partial void LogReaped(string workerId, int requeued, int deadLettered);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Requeued {Swept} leased tasks that no registered worker held")]
    private partial void LogSwept(int swept);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Reaper pass failed")]
    private partial void LogFailed(Exception exception);
}
