using Cluster.Coordinator.Internal.Store;

namespace Cluster.IntegrationTests.Administration;

/// <summary>The embedded Garnet store, in this process.</summary>
public sealed class EmbeddedStoreFixture : StoreFixture
{
    private EmbeddedStore? _store;

    public override string? Missing => null;

    protected override Task<string> StartAsync()
    {
        _store = EmbeddedStore.Start(dataDirectory: null);
        return Task.FromResult(_store.ConfigurationString);
    }

    protected override Task StopAsync()
    {
        _store?.Dispose();
        return Task.CompletedTask;
    }
}
