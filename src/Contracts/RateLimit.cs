namespace Cluster.Contracts;

/// <summary>
/// At most <see cref="Count"/> tasks of a name start per <see cref="Interval"/>, across the whole
/// cluster: a token bucket in the store that every lease consults (<see cref="TaskPolicy.RateLimit"/>).
/// </summary>
/// <param name="Count">Tasks per interval: 1 to 1,000,000.</param>
/// <param name="Interval">The interval: 1 ms to 1 day.</param>
public sealed record RateLimit(int Count, TimeSpan Interval);
