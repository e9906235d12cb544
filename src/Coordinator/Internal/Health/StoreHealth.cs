using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Health;

/// <summary>
/// The coordinator is healthy while its store answers: a PING every <see cref="Interval"/> (one
/// store call, whatever the number of health checks asked), whose outcome is pushed into the
/// grpc.health.v1 service (for the whole server, service name "") and read by the HTTP <c>/healthz</c>.
/// NOT_SERVING until the first PING answers.
/// </summary>
internal sealed partial class StoreHealth(StoreConnection store, HealthServiceImpl health, ILogger<StoreHealth> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(2);

    private volatile bool _serving;

    /// <summary>True while the store answered the last PING.</summary>
    public bool Serving => _serving;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.NotServing);
        // Started after the coordinator connected its store (hosted services start in order).
        var db = store.Multiplexer.GetDatabase();
        using var timer = new PeriodicTimer(Interval);
        try
        {
            do
            {
                Set(await PingAsync(db, stoppingToken).ConfigureAwait(false));
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Null when the store answered; else why not.</summary>
    private static async Task<string?> PingAsync(IDatabase db, CancellationToken cancellationToken)
    {
        try
        {
            await db.PingAsync().WaitAsync(PingTimeout, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return e.Message;
        }
    }

    private void Set(string? problem)
    {
        var serving = problem is null;
        if (serving == _serving)
        {
            return;
        }
        _serving = serving;
        health.SetStatus(string.Empty, serving ? HealthCheckResponse.Types.ServingStatus.Serving : HealthCheckResponse.Types.ServingStatus.NotServing);
        if (serving)
        {
            LogServing();
        }
        else
        {
            LogNotServing(problem!);
        }
    }

    [LoggerMessage(EventId = 710, Level = LogLevel.Information, Message = "The task store answers: health SERVING")]
    private partial void LogServing();

    [LoggerMessage(EventId = 711, Level = LogLevel.Warning, Message = "The task store does not answer ({Reason}): health NOT_SERVING")]
    private partial void LogNotServing(string reason);
}
