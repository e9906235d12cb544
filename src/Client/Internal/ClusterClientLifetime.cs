using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Client.Internal;

/// <summary>
/// Makes the application's executor on first use and shuts it down with the host: it waits for
/// the executor's futures until the host's shutdown timeout, then gives up on the rest.
/// </summary>
internal sealed partial class ClusterClientLifetime(IOptions<ClusterExecutorOptions> options, ILoggerFactory? loggerFactory = null) : IHostedService
{
    private readonly Lock _lock = new();
    private ClusterExecutor? _executor;

    public ClusterExecutor Create()
    {
        lock (_lock)
        {
            var settings = options.Value;
            settings.LoggerFactory ??= loggerFactory;
            return _executor ??= new ClusterExecutor(settings);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        ClusterExecutor? executor;
        lock (_lock)
        {
            executor = _executor;
        }
        if (executor is null)
        {
            return;
        }
        try
        {
            await executor.ShutdownAsync(wait: true).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Past the host's shutdown timeout: the container's disposal then closes the streams at once.
            var abandoned = executor.Abandon();
            if (loggerFactory is not null)
            {
                LogAbandoned(loggerFactory.CreateLogger<ClusterClientLifetime>(), abandoned);
            }
        }
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Warning, Message = "The host stopped before {Count} tasks of its executor finished: their futures fail; the tasks themselves still run")]
    private static partial void LogAbandoned(ILogger logger, int count);
}
