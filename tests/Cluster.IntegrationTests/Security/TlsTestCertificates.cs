using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// PEM files made for a test in a directory of their own: a self-signed server certificate for
/// 127.0.0.1 and localhost, a small certificate authority with a worker client certificate it
/// signed, and an unrelated authority with a client certificate of its own.
/// </summary>
public sealed class TlsTestCertificates : IDisposable
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    public TlsTestCertificates()
    {
        Directory.CreateDirectory(Folder);
        using (var server = ServerCertificate())
        {
            Write(server, "server");
        }
        using var authority = Authority("Cluster Test Worker CA");
        Write(authority, "worker-ca");
        using (var worker = Issue(authority, "worker"))
        {
            Write(worker, "worker");
        }
        using var other = Authority("Unrelated CA");
        Write(other, "other-ca");
        using var stranger = Issue(other, "stranger");
        Write(stranger, "stranger");
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "cluster-tls-" + Guid.NewGuid().ToString("N"));

    /// <summary>The coordinator's self-signed certificate (SANs 127.0.0.1 and localhost); also what a client trusts.</summary>
    public string ServerCertificateFile => File("server.pem");

    public string ServerKeyFile => File("server.key");

    /// <summary>The authority workers' client certificates must chain to (--tls-client-ca).</summary>
    public string WorkerCaFile => File("worker-ca.pem");

    public string WorkerCertificateFile => File("worker.pem");

    public string WorkerKeyFile => File("worker.key");

    /// <summary>An authority that signed neither the server's certificate nor the worker's.</summary>
    public string OtherCaFile => File("other-ca.pem");

    /// <summary>A client certificate the unrelated authority signed.</summary>
    public string StrangerCertificateFile => File("stranger.pem");

    public string StrangerKeyFile => File("stranger.key");

    public string File(string name) => Path.Combine(Folder, name);

    private static X509Certificate2 ServerCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>A client certificate <paramref name="authority"/> signed, with its private key.</summary>
    private static X509Certificate2 Issue(X509Certificate2 authority, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ClientAuthentication], critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var issued = request.Create(authority, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), RandomNumberGenerator.GetBytes(16));
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>NAME.pem (the certificate) and NAME.key (its PKCS#8 private key).</summary>
    private void Write(X509Certificate2 certificate, string name)
    {
        System.IO.File.WriteAllText(File(name + ".pem"), certificate.ExportCertificatePem());
        using var key = certificate.GetECDsaPrivateKey()!;
        System.IO.File.WriteAllText(File(name + ".key"), key.ExportPkcs8PrivateKeyPem());
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
