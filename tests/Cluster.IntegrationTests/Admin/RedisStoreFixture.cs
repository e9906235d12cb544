namespace Cluster.IntegrationTests.Administration;

/// <summary>A real redis-server process.</summary>
public sealed class RedisStoreFixture : StoreFixture
{
    private RedisServer? _server;

    public override string? Missing => RedisServer.Missing;

    protected override async Task<string> StartAsync()
    {
        _server = await RedisServer.StartAsync();
        return _server.Address;
    }

    protected override async Task StopAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
