namespace Cluster.Coordinator;

/// <summary>
/// One grant held in memory beside the tokens file, as a line <c>ROLE NAME TOKEN</c> of it would be:
/// e.g. the worker token that <c>cluster up</c> hands its own worker daemon without writing a file.
/// </summary>
/// <param name="Role">The one role this grant gives.</param>
/// <param name="Name">The identity it authenticates (grants of one name unite).</param>
/// <param name="Token">The bearer token; at least 16 characters, no whitespace.</param>
public sealed record TokenGrant(ClusterRole Role, string Name, string Token)
{
    /// <summary>For a worker grant, the task names it may serve; null for every name.</summary>
    public IReadOnlyList<string>? TaskNames { get; init; }

    /// <summary>No token in logs or exception messages.</summary>
    public override string ToString() => $"{Role} grant of identity '{Name}'";
}
