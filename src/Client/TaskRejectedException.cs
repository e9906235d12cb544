namespace Cluster.Client;

/// <summary>
/// The coordinator refused a task at submit (bad name, bad arguments, payload too large...); retrying
/// the same submit will not help — except for ResourceExhausted (its task name's queue is full, see
/// <see cref="ClusterExecutorOptions.WhenQueueFull"/>), where a later submit may find room.
/// </summary>
public sealed class TaskRejectedException(string taskId, string code, string message, string? existingTaskId = null)
    : Exception($"Task {taskId} was rejected ({code}): {message}")
{
    /// <summary>The id of the refused task; it does not exist in the cluster.</summary>
    public string TaskId { get; } = taskId;

    /// <summary>With AlreadyExists for an idempotency key: the task that holds the key.</summary>
    public string? ExistingTaskId { get; } = existingTaskId;

    /// <summary>The gRPC status code name, e.g. InvalidArgument.</summary>
    public string Code { get; } = code;
}
