namespace Cluster.Client;

/// <summary>The states of a future, as in concurrent.futures.</summary>
public enum FutureState
{
    /// <summary>Submitted and not started yet: queued on this client, or on the coordinator. Only now can <see cref="ClusterFuture.Cancel"/> succeed.</summary>
    Pending,

    /// <summary>A worker has started the task.</summary>
    Running,

    /// <summary>Cancelled before it ran (or, with an interrupt, while it ran); it has no result.</summary>
    Cancelled,

    /// <summary>Done with a result or an error.</summary>
    Finished,
}
