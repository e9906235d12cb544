namespace Cluster.IntegrationTests.Security;

/// <summary>An <see cref="AuthCluster"/> on the embedded store.</summary>
public sealed class EmbeddedAuthCluster() : AuthCluster(redis: false);
