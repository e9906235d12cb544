using System.Globalization;
using Cluster.Client;
using Cluster.Contracts;
using Cluster.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Cluster.IntegrationTests.Hosts;

/// <summary>Several coordinators behind one name: a dns:/// address, resolved by gRPC, calls spread round-robin.</summary>
public sealed class CoordinatorNameTests(EmbeddedCluster cluster, ITestOutputHelper output) : IClassFixture<EmbeddedCluster>
{
    [Fact]
    public async Task ExecutorGivenADnsName_ReachesTheCoordinatorItResolvesTo()
    {
        await using var executor = new ClusterExecutor($"dns:///localhost:{cluster.Address.Port.ToString(CultureInfo.InvariantCulture)}");
        var futures = Enumerable.Range(0, 200).Select(i => executor.Submit<long>("add", i, 1L)).ToList();
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout());
    }

    [Fact]
    public void AnAddressOfAnotherScheme_IsRefusedWithTheFormsItTakes()
    {
        var error = Assert.Throws<ArgumentException>(() => new ClusterExecutor("tcp://127.0.0.1:5050"));
        Assert.Contains("an http://, https:// or dns:/// address", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Two coordinators on hosts of their own, one name ("coordinators") resolving to both in every
    /// host's hosts file; the worker daemon and the client (`cluster demo`) are given only the name.
    /// Needs root and `ip netns`: skipped with the reason otherwise, and never in CI.
    /// </summary>
    [SkippableFact]
    public async Task CoordinatorsBehindOneName_ShareTheClientsCalls_AndEveryTaskCompletes()
    {
        Requirements.Require(NetworkHosts.Missing ?? RedisServer.Missing);
        const int Tasks = 20_000;
        var trace = Directory.CreateTempSubdirectory("cluster-test-name-").FullName;
        var hosts = NetworkHosts.Create("store", "coordinator1", "coordinator2", "worker", "client");
        try
        {
            var store = hosts["store"];
            await hosts.StartRedisAsync(store, reachable: true);
            var traced = new Dictionary<string, string> { [HopTrace.EnvironmentVariable] = trace };
            var coordinators = new List<ChildProcess>();
            foreach (var host in new[] { hosts["coordinator1"], hosts["coordinator2"] })
            {
                // Hosts the test made for itself: no tokens needed.
                var coordinator = hosts.StartCluster(host, traced, "coordinator", "--host", host.Address, "--port", "5050", "--redis", $"{store.Address}:6379", "--insecure");
                await coordinator.WaitForOutputAsync("Coordinator listening on", TimeSpan.FromSeconds(60));
                coordinators.Add(coordinator);
            }
            hosts.Name("coordinators", hosts["coordinator1"], hosts["coordinator2"]);
            const string Address = "dns:///coordinators:5050";
            hosts.StartCluster(hosts["worker"], traced, "worker", "--coordinator", Address, "--processes", "2");
            var demo = hosts.StartCluster(hosts["client"], traced, "demo", "--coordinator", Address, "--tasks", Tasks.ToString(CultureInfo.InvariantCulture));

            var code = await demo.WaitForExitAsync(TimeSpan.FromSeconds(240));
            Assert.True(code == 0, demo.Output);
            Assert.Contains($"{Tasks:N0} of {Tasks:N0} results right, 0 wrong", demo.Output, StringComparison.Ordinal);
            // Each coordinator took some of the client's submit calls.
            var received = coordinators.Select(c => HopMarks.Read(trace, c.Id).Count(m => m.Point == "coordinator.received")).ToList();
            output.WriteLine($"tasks received by each coordinator behind the name: {string.Join(", ", received)}");
            Assert.All(received, r => Assert.True(r > 0, $"a coordinator behind the name took no submit call: {string.Join(", ", received)}"));
            Assert.Equal(Tasks, received.Sum());
        }
        finally
        {
            await hosts.DisposeAsync();
            Directory.Delete(trace, recursive: true);
        }
        Assert.Empty(hosts.Existing());
    }
}
