using Cluster.Coordinator.Internal.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal;

/// <summary>
/// The coordinator's one connection to its task store: the Redis of <see cref="CoordinatorOptions.Redis"/>,
/// or the embedded store, started in this process when none is given. Connected once, before the
/// coordinator serves (by <see cref="CoordinatorHost"/> before it builds its application, or at the
/// host's start when the coordinator is hosted in an application); disposed with the services.
/// </summary>
internal sealed class StoreConnection(CoordinatorOptions options, ILogger<StoreConnection>? logger = null) : IAsyncDisposable
{
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private EmbeddedStore? _embedded;
    private IConnectionMultiplexer? _redis;
    private ShardLayout? _layout;

    /// <summary>The connected store.</summary>
    /// <exception cref="InvalidOperationException">Not connected yet.</exception>
    public IConnectionMultiplexer Multiplexer => Volatile.Read(ref _redis) ?? throw new InvalidOperationException("The coordinator's task store is not connected yet: the host has not started.");

    /// <summary>The store's shards, as it was laid out (see <see cref="CoordinatorOptions.Shards"/>).</summary>
    /// <exception cref="InvalidOperationException">Not connected yet.</exception>
    public ShardLayout Layout => Volatile.Read(ref _layout) ?? throw new InvalidOperationException("The coordinator's task store is not connected yet: the host has not started.");

    /// <summary>Starts the embedded store if there is to be one, and connects, waiting for a store that does not answer yet up to <see cref="CoordinatorOptions.StoreWait"/>; once.</summary>
    /// <exception cref="StoreUnreachableException">The store did not answer, or refused the credentials.</exception>
    /// <exception cref="ArgumentException">The store was laid out with another number of shards than <see cref="CoordinatorOptions.Shards"/>.</exception>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        await _connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_redis is not null)
            {
                return;
            }
            _embedded ??= options.Redis is null ? EmbeddedStore.Start(options.DataDirectory) : null;
            var configuration = ConfigurationOptions.Parse(_embedded?.ConfigurationString ?? options.Redis!);
            if (_embedded is not null)
            {
                configuration.Tunnel = _embedded.Tunnel;
            }
            var redis = await StoreStartup.ConnectAsync(configuration, options.StoreWait, _logger, cancellationToken).ConfigureAwait(false);
            // Every script run over it then waits for --replica-acks replicas (none by default).
            ReplicaAcks.Require(redis, options.ReplicaAcks);
            try
            {
                Volatile.Write(ref _layout, await ShardLayout.OpenAsync(redis, options.KeyPrefix, options.Shards).ConfigureAwait(false));
            }
            catch (ArgumentException)
            {
                await redis.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            Volatile.Write(ref _redis, redis);
        }
        finally
        {
            _connecting.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync().ConfigureAwait(false);
        }
        _embedded?.Dispose();
        _connecting.Dispose();
    }
}
