namespace Cluster.IntegrationTests.Security;

/// <summary>`cluster up --tls-cert --tls-key`: TLS, no client certificates.</summary>
public sealed class TlsCluster : TlsClusterFixture;
