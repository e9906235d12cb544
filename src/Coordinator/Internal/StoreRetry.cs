using Cluster.Contracts;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal;

/// <summary>
/// The one retry loop for store calls that fail for the store's own reasons (unreachable, timed
/// out, loading, busy): it waits with jittered exponential backoff and calls again, so an outage
/// delays work instead of failing it. Only idempotent calls are retried.
/// </summary>
internal static partial class StoreRetry
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(1);

    /// <summary>True for a failure of the store rather than of the call: worth calling again.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        RedisConnectionException or RedisTimeoutException or Store.ReplicaAcksException => true,
        RedisServerException s => IsTransientReply(s.Message),
        _ => false,
    };

    // Garnet prefixes its replies with "ERR ".
    private static bool IsTransientReply(string message) =>
        message.Replace("ERR ", string.Empty, StringComparison.Ordinal) is var m
        && (m.StartsWith("LOADING", StringComparison.Ordinal) || m.StartsWith("BUSY", StringComparison.Ordinal)
            || m.StartsWith("TRYAGAIN", StringComparison.Ordinal) || m.StartsWith("MASTERDOWN", StringComparison.Ordinal)
            || m.StartsWith("CLUSTERDOWN", StringComparison.Ordinal) || m.StartsWith("READONLY", StringComparison.Ordinal));

    /// <summary>Calls <paramref name="call"/> until it answers, a failure that is not the store's, or cancellation.</summary>
    public static async Task<T> RunAsync<T>(Func<Task<T>> call, ILogger logger, string what, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(FirstDelay, MaxDelay);
        for (var failures = 0; ; failures++)
        {
            try
            {
                var result = await call().ConfigureAwait(false);
                if (failures > 0)
                {
                    LogRecovered(logger, what, failures);
                }
                return result;
            }
            catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                if (failures == 0)
                {
                    LogRetrying(logger, what, e.Message);
                }
                await Task.Delay(backoff.Next(), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc cref="RunAsync{T}"/>
    public static Task RunAsync(Func<Task> call, ILogger logger, string what, CancellationToken cancellationToken) =>
        RunAsync(async () =>
        {
            await call().ConfigureAwait(false);
            return true;
        }, logger, what, cancellationToken);

    [LoggerMessage(EventId = 500, Level = LogLevel.Warning, Message = "The task store failed to {What} ({Reason}); retrying until it answers")]
    private static partial void LogRetrying(ILogger logger, string what, string reason);

    [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "The task store answered to {What} after {Failures} failed calls")]
    private static partial void LogRecovered(ILogger logger, string what, int failures);
}
