namespace Cluster.IntegrationTests.Security;

/// <summary>The tokens cluster on the embedded store.</summary>
public sealed class OwnershipEmbeddedTokensCluster() : OwnershipTokensCluster(redis: false);
