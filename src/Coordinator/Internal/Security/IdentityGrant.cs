namespace Cluster.Coordinator.Internal.Security;

/// <summary>An identity as the grants describe it: the union of the roles of its lines, and for a worker the task names it may serve.</summary>
/// <param name="Name">The identity's name, the second field of its lines.</param>
/// <param name="Roles">Every role its lines grant.</param>
/// <param name="TaskNames">Null when any of its worker lines has no <c>names=</c> (every name).</param>
internal sealed record IdentityGrant(string Name, ClusterRole Roles, IReadOnlySet<string>? TaskNames)
{
    /// <summary>The identity the services read from the call.</summary>
    public CallerIdentity Caller { get; } = new(Name, TaskNames);
}
