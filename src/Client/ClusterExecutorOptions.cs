using Microsoft.Extensions.Logging;

namespace Cluster.Client;

/// <summary>Settings of a <see cref="ClusterExecutor"/>.</summary>
public sealed class ClusterExecutorOptions
{
    /// <summary>Most tasks in one submit batch. Default: 4,096.</summary>
    public int MaxBatchTasks { get; set; } = 4096;

    /// <summary>Most argument bytes in one submit batch (a single larger task still travels alone). Default: 1 MiB.</summary>
    public int MaxBatchBytes { get; set; } = 1 << 20;

    /// <summary>Submit batches in flight at once. Default: 4.</summary>
    public int MaxBatchesInFlight { get; set; } = 4;

    /// <summary>Where the SDK logs (failed callbacks, reconnections). Default: none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
