namespace Cluster.Client;

/// <summary>The coordinator refused a task at submit (bad name, bad arguments, payload too large...); retrying the same submit will not help.</summary>
public sealed class TaskRejectedException(string taskId, string code, string message)
    : Exception($"Task {taskId} was rejected ({code}): {message}")
{
    public string TaskId { get; } = taskId;

    /// <summary>The gRPC status code name, e.g. InvalidArgument.</summary>
    public string Code { get; } = code;
}
