namespace Cluster.Client;

/// <summary>
/// What a submit does when the coordinator refuses its task because the queue of its task name is
/// at its limit (the coordinator's <c>--max-queued</c>).
/// </summary>
public enum QueueFullBehavior
{
    /// <summary>The future fails with a <see cref="TaskRejectedException"/> whose code is ResourceExhausted.</summary>
    Fail,

    /// <summary>
    /// The executor sends the task again, with a jittered backoff, until its queue has room: the future
    /// stays Pending meanwhile, and a cancel still withdraws it.
    /// </summary>
    Wait,
}
