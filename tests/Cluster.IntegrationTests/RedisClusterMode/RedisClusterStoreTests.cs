using Cluster.IntegrationTests.Administration;
using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests;

/// <summary>The store's scripts on a real Redis Cluster of three masters: every key of a store under one hash tag, so each script runs on one slot.</summary>
public sealed class RedisClusterStoreTests(RedisClusterStoreFixture fixture) : StoreTests, IClassFixture<RedisClusterStoreFixture>
{
    protected override Task<string?> StartStoreAsync() => Task.FromResult(fixture.Missing is null ? fixture.Configuration : null);

    protected override Task StopStoreAsync() => Task.CompletedTask;

    protected override void Require() => Requirements.Require(fixture.Missing);
}
