using StackExchange.Redis;

namespace Cluster.IntegrationTests.Administration;

/// <summary>One real store for a test class, and a connection to it; tests keep apart by key prefix.</summary>
public abstract class StoreFixture : IAsyncLifetime
{
    private IConnectionMultiplexer? _redis;

    /// <summary>Why this store cannot start here; null when it runs.</summary>
    public abstract string? Missing { get; }

    public IConnectionMultiplexer Redis => _redis!;

    /// <summary>The store's StackExchange.Redis configuration, for a test that opens its own connection.</summary>
    public string Configuration { get; private set; } = string.Empty;

    /// <summary>Starts the store; returns its StackExchange.Redis configuration.</summary>
    protected abstract Task<string> StartAsync();

    protected abstract Task StopAsync();

    public async Task InitializeAsync()
    {
        if (Missing is null)
        {
            Configuration = await StartAsync();
            _redis = await ConnectionMultiplexer.ConnectAsync(Configuration);
        }
    }

    public async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
            await StopAsync();
        }
    }
}
