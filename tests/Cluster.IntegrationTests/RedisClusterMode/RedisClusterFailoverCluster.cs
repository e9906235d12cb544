using Cluster.Contracts;

namespace Cluster.IntegrationTests.Infrastructure;

/// <summary>
/// Two worker processes on a real Redis Cluster of three masters with a replica each, every
/// process tracing its hops (<c>CLUSTER_HOP_TRACE</c>) into a directory of its own, for a master
/// failover counted on the wire.
/// </summary>
public sealed class RedisClusterFailoverCluster : ClusterFixture, IAsyncLifetime
{
    public RedisClusterFailoverCluster()
        : base(processes: 2, redis: true, "--verbose")
    {
        RedisClusterMasters = 3;
        RedisClusterReplicas = 1;
        TraceDirectory = Directory.CreateTempSubdirectory("cluster-test-failover-").FullName;
        Environment = new Dictionary<string, string> { [HopTrace.EnvironmentVariable] = TraceDirectory };
    }

    /// <summary>Where the worker processes (and the test, while it traces itself) write their hops.</summary>
    public string TraceDirectory { get; }

    Task IAsyncLifetime.InitializeAsync() => InitializeAsync();

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        try
        {
            Directory.Delete(TraceDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
