using System.Globalization;
using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// A retry policy as the scripts keep it: "maxAttempts|maxLostRuns|backoffMs|backoffMaxMs|softMs|hardMs|retryOn".
/// Unset (zero) fields take the defaults below.
/// </summary>
internal static class Policies
{
    public const int DefaultMaxAttempts = 1;
    public const int DefaultMaxLostRuns = 3;
    public const int DefaultBackoffMs = 1000;
    public const int DefaultBackoffMaxMs = 60_000;

    /// <summary>The longest backoff a policy may ask for: one day.</summary>
    public const int MaxBackoffMs = 86_400_000;

    /// <summary>The compact form, or "" when <paramref name="policy"/> is null.</summary>
    public static string Encode(RetryPolicy? policy, RetryPolicy? fallback = null)
    {
        if (policy is null && fallback is null)
        {
            return string.Empty;
        }
        int Pick(Func<RetryPolicy, int> field, int standard) =>
            policy is not null && field(policy) > 0 ? field(policy) : fallback is not null && field(fallback) > 0 ? field(fallback) : standard;
        var retryOn = policy is { RetryOn.Count: > 0 } ? policy.RetryOn : fallback?.RetryOn ?? [];
        return string.Join('|',
            Pick(p => p.MaxAttempts, DefaultMaxAttempts).ToString(CultureInfo.InvariantCulture),
            Pick(p => p.MaxLostRuns, DefaultMaxLostRuns).ToString(CultureInfo.InvariantCulture),
            Pick(p => p.BackoffMs, DefaultBackoffMs).ToString(CultureInfo.InvariantCulture),
            Pick(p => p.BackoffMaxMs, DefaultBackoffMaxMs).ToString(CultureInfo.InvariantCulture),
            Pick(p => p.SoftTimeoutMs, 0).ToString(CultureInfo.InvariantCulture),
            Pick(p => p.HardTimeoutMs, 0).ToString(CultureInfo.InvariantCulture),
            string.Join(',', retryOn));
    }

    /// <summary>
    /// A name's rate limit as the lease keeps it in the name policies hash under "&lt;name&gt; r":
    /// "count|intervalMs|burst" for each shard, whose bucket refills at its share of the rate
    /// (count per shards x interval, so the shards together refill at the limit) and holds at most
    /// its share of a tenth of the count (at least one token); null when the policy sets none.
    /// </summary>
    public static string? RateLimit(RetryPolicy? policy, int shards) =>
        policy is { RateLimitCount: > 0, RateLimitIntervalMs: > 0 }
            ? string.Create(CultureInfo.InvariantCulture, $"{policy.RateLimitCount}|{(long)policy.RateLimitIntervalMs * shards}|{Math.Max(1, (policy.RateLimitCount + 10L * shards - 1) / (10L * shards))}")
            : null;

    /// <summary>The soft and hard timeouts of a compact policy.</summary>
    public static (int SoftMs, int HardMs) Timeouts(string encoded)
    {
        var parts = encoded.Split('|');
        return parts.Length >= 6
            ? (int.Parse(parts[4], CultureInfo.InvariantCulture), int.Parse(parts[5], CultureInfo.InvariantCulture))
            : (0, 0);
    }

    /// <summary>Null when valid; else what is wrong with it.</summary>
    public static string? Problem(RetryPolicy? policy)
    {
        if (policy is null)
        {
            return null;
        }
        if (policy.MaxAttempts < 0 || policy.MaxLostRuns < 0 || policy.BackoffMs < 0 || policy.BackoffMaxMs < 0 || policy.SoftTimeoutMs < 0 || policy.HardTimeoutMs < 0)
        {
            return "a retry policy's numbers must not be negative.";
        }
        if (policy.MaxAttempts > 1000 || policy.MaxLostRuns > 1000)
        {
            return "a retry policy allows at most 1000 attempts and 1000 lost runs.";
        }
        if (policy.BackoffMs > MaxBackoffMs || policy.BackoffMaxMs > MaxBackoffMs)
        {
            return $"a retry policy's backoff_ms ({policy.BackoffMs}) and backoff_max_ms ({policy.BackoffMaxMs}) may be at most {MaxBackoffMs} (1 day).";
        }
        if (policy.RateLimitCount < 0 || policy.RateLimitCount > 1_000_000 || policy.RateLimitIntervalMs < 0 || policy.RateLimitIntervalMs > MaxBackoffMs
            || (policy.RateLimitCount > 0) != (policy.RateLimitIntervalMs > 0))
        {
            return $"a rate limit needs rate_limit_count (1 to 1000000, here {policy.RateLimitCount}) and rate_limit_interval_ms (1 to {MaxBackoffMs}, here {policy.RateLimitIntervalMs}) together.";
        }
        foreach (var type in policy.RetryOn)
        {
            if (type.Length == 0 || type.IndexOfAny([',', '|']) >= 0)
            {
                return $"retry_on entry '{type}' must be an exception type name (no ',' or '|').";
            }
        }
        return null;
    }
}
