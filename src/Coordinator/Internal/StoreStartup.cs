using System.Diagnostics;
using Cluster.Contracts;
using Cluster.Coordinator.Internal.Store;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal;

/// <summary>
/// The coordinator's first connection to its task store. Hosts and containers start in any order,
/// so a store that does not answer yet is tried again (with jittered backoff, each try logged) for
/// up to <see cref="CoordinatorOptions.StoreWait"/>; refused credentials fail at once, since waiting
/// cannot fix them. Later connection losses are StackExchange.Redis's to repair.
/// </summary>
internal static partial class StoreStartup
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    /// <exception cref="StoreUnreachableException">No answer within the wait, or the store refused the credentials.</exception>
    public static async Task<IConnectionMultiplexer> ConnectAsync(ConfigurationOptions configuration, TimeSpan wait, ILogger logger, CancellationToken cancellationToken)
    {
        // Named by host:port only: the configuration string may hold a password or ACL user.
        var address = StoreAddress.Of(configuration);
        // Each try must succeed (and says why it did not); once connected, it reconnects by itself.
        configuration.AbortOnConnectFail = true;
        var backoff = new Backoff(FirstDelay, MaxDelay);
        var watch = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var connection = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
                if (attempt > 1)
                {
                    LogConnected(logger, address, attempt, watch.Elapsed.TotalSeconds);
                }
                return connection;
            }
            catch (RedisConnectionException e) when (e.FailureType == ConnectionFailureType.AuthenticationFailure)
            {
                throw new StoreUnreachableException($"Cannot reach the task store at {address}: it refused the credentials; check the password (and user) in the store's configuration (--redis).");
            }
            catch (RedisConnectionException e)
            {
                var delay = backoff.Next();
                if (watch.Elapsed + delay > wait)
                {
                    throw new StoreUnreachableException(
                        $"Cannot reach the task store at {address} ({e.FailureType}) after {attempt} {(attempt == 1 ? "try" : "tries")} in {watch.Elapsed.TotalSeconds:0} s: start it, check its address (--redis), or wait longer (--store-wait).");
                }
                LogRetrying(logger, address, e.FailureType.ToString(), attempt, delay.TotalSeconds, wait.TotalSeconds);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = 510, Level = LogLevel.Warning, Message = "The task store at {Address} does not answer ({Failure}, try {Attempt}); trying again in {Delay:0.0} s, for up to {Wait:0} s in all (--store-wait)")]
    private static partial void LogRetrying(ILogger logger, string address, string failure, int attempt, double delay, double wait);

    [LoggerMessage(EventId = 511, Level = LogLevel.Warning, Message = "The task store at {Address} answered on try {Attempt}, after {Seconds:0.0} s")]
    private static partial void LogConnected(ILogger logger, string address, int attempt, double seconds);
}
