namespace Cluster.Worker.Internal;

/// <summary>An attempt stopped by its hard timeout (its worker process is ended).</summary>
internal sealed class HardTimeoutException(string message) : TimeoutException(message)
{
    /// <summary>The error type clients see, and list in RetryOn to retry hard timeouts.</summary>
    public const string RemoteType = "Cluster.HardTimeout";
}
