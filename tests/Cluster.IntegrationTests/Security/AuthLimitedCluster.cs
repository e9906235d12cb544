namespace Cluster.IntegrationTests.Security;

/// <summary>An <see cref="AuthCluster"/> on the embedded store where an identity may hold 2 streams and 2 sessions.</summary>
public sealed class AuthLimitedCluster() : AuthCluster(redis: false, "--max-streams", "2", "--max-sessions", "2");
