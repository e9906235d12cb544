namespace Cluster.IntegrationTests.Security;

/// <summary>
/// `cluster up` with mutual TLS for workers (--tls-client-ca): its own worker presents a client
/// certificate the test's authority signed.
/// </summary>
public sealed class TlsMutualCluster : TlsClusterFixture
{
    protected override IEnumerable<string> ExtraArguments =>
    [
        "--tls-client-ca", Certificates.WorkerCaFile,
        "--tls-client-cert", Certificates.WorkerCertificateFile,
        "--tls-client-key", Certificates.WorkerKeyFile,
    ];
}
