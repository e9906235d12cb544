namespace Cluster.IntegrationTests.Security;

/// <summary>The embedded store (its password is random, made at start), `--max-batch 50`.</summary>
public sealed class SecretsEmbeddedCluster() : SecretsCluster(redis: false);
