using System.Globalization;

namespace Cluster.Client;

/// <summary>
/// No coordinator accepted the task within <see cref="ClusterExecutorOptions.UnavailableTimeout"/>:
/// each one tried was unreachable or failing. The cluster is down or cut off from this client;
/// retrying later may help. (Should a coordinator have stored the task and its answer been lost, the
/// task still runs, and this future does not report it.)
/// </summary>
public sealed class ClusterUnavailableException(string taskId, TimeSpan timeout, IReadOnlyList<string> addresses, string lastStatus, string lastDetail)
    : Exception(string.Create(CultureInfo.InvariantCulture,
        $"No coordinator accepted task {taskId} within {timeout.TotalSeconds:0.###} s (tried {string.Join(", ", addresses)}; the last attempt failed with {lastStatus}: {lastDetail}). The cluster is down or unreachable; retrying later may help."))
{
    /// <summary>The id of the task no coordinator accepted.</summary>
    public string TaskId { get; } = taskId;

    /// <summary>The coordinators tried, e.g. http://127.0.0.1:5050.</summary>
    public IReadOnlyList<string> Addresses { get; } = [.. addresses];

    /// <summary>The gRPC status code name of the last failed attempt, e.g. Unavailable.</summary>
    public string LastStatus { get; } = lastStatus;
}
