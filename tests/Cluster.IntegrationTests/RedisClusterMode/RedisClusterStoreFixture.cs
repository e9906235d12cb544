namespace Cluster.IntegrationTests.Administration;

/// <summary>A real Redis Cluster of three masters; the connection is given every node and discovers the slot map.</summary>
public sealed class RedisClusterStoreFixture : StoreFixture
{
    private RedisClusterServer? _cluster;

    public override string? Missing => RedisClusterServer.Missing;

    protected override async Task<string> StartAsync()
    {
        _cluster = await RedisClusterServer.StartAsync(masters: 3);
        return _cluster.Addresses;
    }

    protected override async Task StopAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
