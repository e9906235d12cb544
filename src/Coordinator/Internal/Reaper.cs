using Cluster.Coordinator.Internal.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal;

/// <summary>
/// Brings back the tasks of workers whose lease expired unnoticed (their coordinator died too), and
/// moves delayed tasks that are due and tasks whose retry backoff has passed into their queues, and
/// drops dead letters past their retention. Between passes it sleeps until the next pass or until
/// the earliest delayed task is due (<see cref="DelayTimer"/>, armed earlier by any coordinator's
/// submit of a task due sooner), whichever comes first; at the latter it only promotes. Runs on every coordinator; the scripts re-check expiry and due times by the
/// store's clock, so parallel reapers are safe. Each pass does a bounded amount of work.
/// </summary>
internal sealed partial class Reaper : BackgroundService
{
    private readonly TaskStore _store;
    private readonly CoordinatorOptions _options;
    private readonly ILogger<Reaper> _logger;
    // Dead letters dropped per pass at most; more wait for the next pass.
    private const int ExpiryBatch = 500;
    // Between two pages of a sweep: the sweep takes a small share of the store's time.
    private static readonly TimeSpan SweepPace = TimeSpan.FromMilliseconds(200);

    // A forward noted this long ago and still not appended is taken for one its coordinator left.
    private static readonly TimeSpan ForwardAge = TimeSpan.FromSeconds(5);
    // The next page of the sweep for orphaned leases; -1 when no sweep is under way.
    private long _sweepCursor;
    // Until this time (Environment.TickCount64) expired leases are left alone: the store was away,
    // so heartbeats could not land either, and a lease that ran out meanwhile says nothing of its worker.
    private long _reapAfter;
    private readonly Telemetry.CoordinatorMetrics _metrics;
    private readonly DelayTimer _timer;

    public Reaper(TaskStore store, CoordinatorOptions options, IConnectionMultiplexer redis, Notifier notifier, Telemetry.CoordinatorMetrics metrics, ILogger<Reaper> logger)
    {
        _store = store;
        _timer = notifier.Delayed;
        _metrics = metrics;
        _options = options;
        _logger = logger;
        // A store that came back may have been restored from a point where leases and worker sets disagree.
        redis.ConnectionRestored += (_, _) =>
        {
            Interlocked.Exchange(ref _sweepCursor, 0);
            StoreWasAway();
            Wake.Set();
        };
        redis.ConnectionFailed += (_, _) => StoreWasAway();
    }

    /// <summary>
    /// A store outage is never charged to tasks: a worker whose lease ran out while the store could
    /// not take its heartbeats gets one lease time, once the store is back, to renew it.
    /// </summary>
    private void StoreWasAway() =>
        Interlocked.Exchange(ref _reapAfter, Environment.TickCount64 + (long)_options.LeaseTime.TotalMilliseconds);

    /// <summary>Woken when this coordinator schedules a retry, so a short backoff is not rounded up to a full pass.</summary>
    public Signal Wake { get; } = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // When the next whole pass is due (Environment.TickCount64).
        var nextPass = 0L;
        while (!stoppingToken.IsCancellationRequested)
        {
            Wake.Reset();
            _timer.Wake.Reset();
            if (Environment.TickCount64 >= nextPass)
            {
                var wait = await PassAsync().ConfigureAwait(false);
                nextPass = Environment.TickCount64 + (long)wait.TotalMilliseconds;
            }
            else
            {
                // The timer of delayed tasks went off, or was armed sooner: promotion only.
                await PromoteDueAsync().ConfigureAwait(false);
            }
            var left = Math.Min(nextPass, _timer.Due) - Environment.TickCount64;
            if (left > 0)
            {
                await Task.WhenAny(Wake.WaitAsync(TimeSpan.FromMilliseconds(left), stoppingToken), _timer.Wake.WaitAsync(TimeSpan.FromMilliseconds(left), stoppingToken)).ConfigureAwait(false);
                if (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                if (Wake.IsSet)
                {
                    nextPass = 0;
                }
            }
        }
    }

    /// <summary>Moves the delayed tasks and retries that are due into their queues, and sets the timer to the next one.</summary>
    private async Task PromoteDueAsync()
    {
        try
        {
            var (_, due, next) = await _store.DueAsync().ConfigureAwait(false);
            _timer.Set(next);
            if (due > 0)
            {
                await _store.PromoteAsync().ConfigureAwait(false);
                // More may be due: look again at once.
                _timer.Set(TimeSpan.Zero);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(e);
            // The store did not answer: the next whole pass looks again.
            _timer.Set(null);
        }
    }

    /// <summary>One whole pass; returns how long until the next.</summary>
    private async Task<TimeSpan> PassAsync()
    {
        var wait = _options.HeartbeatInterval;
        try
        {
            // At start, and after the store connection comes back: leases no registered worker
            // holds, one page a pass.
            if (Interlocked.Read(ref _sweepCursor) is >= 0 and var cursor)
            {
                var (swept, page) = await _store.SweepOrphanedLeasesAsync(cursor).ConfigureAwait(false);
                Interlocked.CompareExchange(ref _sweepCursor, page == 0 ? -1 : page, cursor);
                if (swept > 0)
                {
                    LogSwept(swept);
                }
                if (page != 0)
                {
                    wait = SweepPace;
                }
            }
            if (await _store.ExpireDeadLettersAsync(ExpiryBatch).ConfigureAwait(false) >= ExpiryBatch)
            {
                wait = TimeSpan.Zero;
            }
            // Completions another shard wrote for a session and its coordinator did not append
            // (it died in between): appended now, once each.
            await _store.DrainForwardsAsync(ForwardAge).ConfigureAwait(false);
            var asked = Environment.TickCount64;
            var (expired, due, next) = await _store.DueAsync().ConfigureAwait(false);
            if (Environment.TickCount64 - asked > _options.HeartbeatInterval.TotalMilliseconds)
            {
                // The store took longer to answer than a heartbeat interval: it was away.
                StoreWasAway();
            }
            if (expired.Length > 0 && Environment.TickCount64 < Interlocked.Read(ref _reapAfter))
            {
                expired = [];
                wait = _options.HeartbeatInterval;
            }
            foreach (var worker in expired)
            {
                var (requeued, dead) = await _store.RequeueAsync(worker, gone: false).ConfigureAwait(false);
                if (requeued >= 0)
                {
                    _metrics.LostRunsDeadLettered(dead);
                    LogReaped(worker, requeued, dead);
                }
            }
            _timer.Set(next);
            if (due > 0)
            {
                await _store.PromoteAsync().ConfigureAwait(false);
                _timer.Set(TimeSpan.Zero);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (e is RedisConnectionException or RedisTimeoutException)
            {
                StoreWasAway();
            }
            LogFailed(e);
        }
        return wait;
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Lease of worker {WorkerId} expired; {Requeued} tasks requeued, {DeadLettered} dead-lettered")]
    private partial void LogReaped(string workerId, int requeued, int deadLettered);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Requeued {Swept} leased tasks that no registered worker held")]
    private partial void LogSwept(int swept);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Reaper pass failed")]
    private partial void LogFailed(Exception exception);
}
