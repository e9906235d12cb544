using Cluster.Coordinator;
using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Hosting;

/// <summary>
/// A coordinator hosted in the test process on a loopback port (real gRPC), on the embedded store
/// or on a real redis-server, for applications that host the client and workers through DI.
/// </summary>
public abstract class HostingCoordinator(bool redis) : IAsyncLifetime
{
    private RedisServer? _redis;
    private CoordinatorHost? _host;

    /// <summary>Why this fixture could not start (redis-server is not installed); null when it runs.</summary>
    public string? Missing { get; private set; }

    /// <summary>The coordinator's address.</summary>
    public Uri Address => _host!.Address;

    /// <summary>The redis-server's address, on a real store; else null (the embedded store).</summary>
    public string? RedisAddress => _redis?.Address;

    /// <summary>Skips (or fails, in CI) when the fixture's requirement is missing.</summary>
    public void Require() => Requirements.Require(Missing);

    public async Task InitializeAsync()
    {
        if (redis)
        {
            Missing = RedisServer.Missing;
            if (Missing is not null)
            {
                return;
            }
            _redis = await RedisServer.StartAsync();
        }
        _host = await CoordinatorHost.StartAsync(new CoordinatorOptions { Port = 0, Redis = _redis?.Address, KeyPrefix = "hosting" + Guid.NewGuid().ToString("N")[..8] });
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}

/// <summary><see cref="HostingCoordinator"/> on the embedded store.</summary>
public sealed class EmbeddedHostingCoordinator() : HostingCoordinator(redis: false);

/// <summary><see cref="HostingCoordinator"/> on a real redis-server.</summary>
public sealed class RedisHostingCoordinator() : HostingCoordinator(redis: true);
