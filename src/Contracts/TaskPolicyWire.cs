using Cluster.Protocol.V1;

namespace Cluster.Contracts;

/// <summary>Puts a <see cref="TaskPolicy"/> on the wire.</summary>
public static class TaskPolicyWire
{
    /// <summary>
    /// The wire form of <paramref name="policy"/>, or null for none. A setting left null goes as 0, which
    /// the coordinator reads as "not set" (the handler's policy or the default applies); a time is sent
    /// in whole milliseconds, rounded up, at least 1.
    /// </summary>
    public static RetryPolicy? ToWire(this TaskPolicy? policy)
    {
        if (policy is null)
        {
            return null;
        }
        var wire = new RetryPolicy
        {
            MaxAttempts = policy.MaxAttempts ?? 0,
            MaxLostRuns = policy.MaxLostRuns ?? 0,
            BackoffMs = Milliseconds(policy.Backoff),
            BackoffMaxMs = Milliseconds(policy.MaxBackoff),
            SoftTimeoutMs = Milliseconds(policy.SoftTimeout),
            HardTimeoutMs = Milliseconds(policy.HardTimeout),
            RateLimitCount = policy.RateLimit?.Count ?? 0,
            RateLimitIntervalMs = policy.RateLimit is { } limit ? Milliseconds(limit.Interval) : 0,
        };
        wire.RetryOn.AddRange(policy.RetryOn ?? []);
        return wire;
    }

    private static int Milliseconds(TimeSpan? value) =>
        value is null ? 0 : (int)Math.Clamp(Math.Ceiling(value.Value.TotalMilliseconds), 1, int.MaxValue);
}
