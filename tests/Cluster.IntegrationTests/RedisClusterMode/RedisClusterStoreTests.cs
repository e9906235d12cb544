using Cluster.IntegrationTests.Administration;
using Cluster.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Cluster.IntegrationTests;

/// <summary>
/// The store's scripts on a real Redis Cluster of three masters, in the default layout there: four
/// shards per master, each under its own hash tag, so each script runs on one slot.
/// </summary>
public sealed partial class RedisClusterStoreTests(RedisClusterStoreFixture fixture, ITestOutputHelper output) : StoreTests, IClassFixture<RedisClusterStoreFixture>
{
    protected override Task<string?> StartStoreAsync() => Task.FromResult(fixture.Missing is null ? fixture.Configuration : null);

    protected override Task StopStoreAsync() => Task.CompletedTask;

    protected override void Require() => Requirements.Require(fixture.Missing);
}
