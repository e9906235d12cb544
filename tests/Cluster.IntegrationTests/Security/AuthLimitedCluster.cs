namespace Cluster.IntegrationTests.Security;

/// <summary>An <see cref="AuthCluster"/> on the embedded store where an identity may hold 3 streams and 2 sessions.</summary>
public sealed class AuthLimitedCluster() : AuthCluster(redis: false, "--max-streams", "3", "--max-sessions", "2");
