using Cluster.Client;

namespace Cluster.FaultSuite;

/// <summary>What the client saw of a workload: futures never done, outcomes not the expected ones, the highest attempt, the outage.</summary>
internal sealed record Outcome(
    int Lost,
    int Wrong,
    int MaxAttempt,
    TimeSpan? Recovery,
    TimeSpan? AllDone,
    IReadOnlyList<ClusterFuture<int>> Odd,
    IReadOnlyList<(string Id, bool HasResult)> Done)
{
    public string Describe() =>
        Odd.Count == 0 ? string.Empty : "first odd: " + string.Join("; ", Odd.Take(2).Select(f => $"{f.Id} {f.Name} {f.State} {f.GetException(TimeSpan.Zero)?.Message}"));
}
