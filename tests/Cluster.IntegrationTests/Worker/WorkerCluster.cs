using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Worker;

/// <summary>
/// One worker process with small, known capacity (4 threads, 2 coroutines), a short lease, a result
/// limit of 1,000,000 bytes, and the sample tasks beside a task library with a package dependency.
/// </summary>
public abstract class WorkerCluster(bool redis) : ClusterFixture(
    processes: 1,
    redis,
    "--threads", "4",
    "--coroutines", "2",
    "--lease-ms", "3000",
    "--heartbeat-ms", "500",
    "--max-result", MaxResult.ToString(System.Globalization.CultureInfo.InvariantCulture),
    "--tasks", TaskLibraries.Samples,
    "--tasks", TaskLibraries.Humanizer)
{
    /// <summary>The coordinator's result limit, in bytes.</summary>
    public const int MaxResult = 1_000_000;
}
