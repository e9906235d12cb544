using Cluster.Coordinator;
using Cluster.Coordinator.Internal.Store;
using Cluster.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace Cluster.IntegrationTests.Dashboard;

/// <summary>
/// The dashboard's per-name counters as the stats script writes them, on the real stores: added
/// across flushes (of one or several coordinators), and bounded per bucket.
/// </summary>
public sealed class DashboardCountsTests
{
    [SkippableTheory]
    [InlineData("embedded")]
    [InlineData("redis")]
    public async Task NameCounts_AddUpAcrossFlushes_AndABucketKeepsAtMostMaxNames(string kind)
    {
        EmbeddedStore? embedded = null;
        RedisServer? server = null;
        if (kind == "redis")
        {
            Requirements.Require(RedisServer.Missing);
            server = await RedisServer.StartAsync();
        }
        else
        {
            embedded = EmbeddedStore.Start(dataDirectory: null);
        }
        try
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(server?.Address ?? embedded!.ConfigurationString);
            var store = new TaskStore(redis, await ShardLayout.OpenAsync(redis, "t" + Guid.NewGuid().ToString("N")[..8], 0), new CoordinatorOptions());
            var second = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            var tens = second.ToUnixTimeSeconds() / 10;
            var many = Enumerable.Range(0, ClusterStats.MaxNames + 50).Select(i => new ClusterStats.NameCounts($"n{i:D3}", 2, 1, 1, 1500)).ToList();

            // Two coordinators' flushes into one bucket: the first brings more names than a bucket keeps.
            await store.WriteStatsAsync(Taken(many), second);
            await store.WriteStatsAsync(Taken([new("n000", 3, 4, 5, 2500), new("late", 7, 7, 7, 7)]), second);

            var fields = (await store.ReadStatsAsync(tens, tens))[tens];
            Assert.Equal(ClusterStats.MaxNames, fields["#n"]);
            Assert.Equal(ClusterStats.MaxNames, fields.Keys.Count(k => k.StartsWith("i|", StringComparison.Ordinal)));
            Assert.Equal([5, 5, 6, 4000], new[] { "i|n000", "o|n000", "r|n000", "t|n000" }.Select(k => fields[k]));
            Assert.Equal(2, fields[$"i|n{ClusterStats.MaxNames - 1:D3}"]);
            Assert.DoesNotContain($"i|n{ClusterStats.MaxNames:D3}", fields.Keys);
            Assert.DoesNotContain("i|late", fields.Keys);
        }
        finally
        {
            embedded?.Dispose();
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }

    [Fact]
    public void Take_CountsPerName_TheRunsRetriedAreNotOut()
    {
        var stats = new ClusterStats();
        stats.AddSubmitted("a", 3);
        stats.AddRun("a", 0.002);
        stats.AddRun("a", 0.004);
        stats.AddRetried("a", 1);
        stats.AddSubmitted("b", 1);

        var names = stats.Take().Names;

        Assert.Equal([new("a", 3, 1, 2, 6000), new("b", 1, 0, 0, 0)], names);
        Assert.Empty(stats.Take().Names);
    }

    private static ClusterStats.Taken Taken(IReadOnlyList<ClusterStats.NameCounts> names) =>
        new(0, 0, 0, new Dictionary<string, long>(), [], []) { Names = names };
}
