using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Security;

/// <summary>A cluster started with `--max-batch 50`.</summary>
public abstract class SecretsCluster(bool redis) : ClusterFixture(processes: 1, redis, "--max-batch", SecretsCluster.MaxBatch.ToString(System.Globalization.CultureInfo.InvariantCulture))
{
    public const int MaxBatch = 50;
}
