namespace Cluster.IntegrationTests.Security;

public sealed class EmbeddedAuthEndToEndTests(EmbeddedAuthCluster cluster) : AuthEndToEndTests<EmbeddedAuthCluster>(cluster), IClassFixture<EmbeddedAuthCluster>;
