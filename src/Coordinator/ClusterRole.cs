namespace Cluster.Coordinator;

/// <summary>What an identity may call: each role opens one gRPC service.</summary>
[Flags]
public enum ClusterRole
{
    /// <summary>No role.</summary>
    None = 0,

    /// <summary><c>cluster.v1.Tasks</c>: submit, cancel, and the completions of its own sessions; <c>cluster.v1.ItemQueues</c>, its own queues; <c>cluster.v1.Schedules</c>: its own recurring schedules.</summary>
    Client = 1,

    /// <summary><c>cluster.v1.Workers</c>: connect as a worker (and announce task-name policies); and <c>cluster.v1.ItemQueues</c>, its own queues.</summary>
    Worker = 2,

    /// <summary><c>cluster.v1.Admin</c>: status and dead letters of the whole cluster.</summary>
    Admin = 4,
}
