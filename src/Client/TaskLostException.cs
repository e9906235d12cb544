namespace Cluster.Client;

/// <summary>
/// The store lost the task: a coordinator told this executor the task was stored, and after the
/// store failed over (a Redis Cluster master killed before its replica had the task, a redis-server
/// restarted from an older snapshot) the store no longer knows it. It never ran to a completion the
/// store kept; submitting it again is safe (its id and idempotency key are free again). Run the
/// coordinators with <c>--replica-acks 1</c> to keep an acknowledged submit through a failover.
/// </summary>
public sealed class TaskLostException(string taskId, string name, string detail)
    : Exception($"Task {taskId} ({name}) was lost by the store in a failover after it was accepted: {detail}")
{
    /// <summary>The id of the lost task.</summary>
    public string TaskId { get; } = taskId;

    /// <summary>The task's name.</summary>
    public string Name { get; } = name;
}
