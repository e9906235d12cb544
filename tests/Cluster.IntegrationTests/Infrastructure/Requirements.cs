namespace Cluster.IntegrationTests.Infrastructure;

/// <summary>What a test needs from the machine: skipped locally when missing, a failure in CI (CI=true).</summary>
internal static class Requirements
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Skips (or, in CI, fails) when <paramref name="missing"/> is not null.</summary>
    public static void Require(string? missing)
    {
        if (missing is null)
        {
            return;
        }
        if (InCi)
        {
            throw new InvalidOperationException($"Required in CI but missing: {missing}");
        }
        Skip.If(true, missing);
    }
}
