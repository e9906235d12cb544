using System.Security.Cryptography.X509Certificates;
using Cluster.Contracts;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Cluster.Coordinator.Internal.Security;

/// <summary>
/// The coordinator's TLS: its certificate (and chain) loaded from <see cref="CoordinatorOptions.TlsCertificateFile"/>
/// and <see cref="CoordinatorOptions.TlsKeyFile"/>, and, for mutual TLS, the authority workers' certificates must chain to.
/// They live as long as the process.
/// </summary>
internal sealed class ServerTls
{
    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2Collection _chain;

    private ServerTls(X509Certificate2 certificate, X509Certificate2Collection chain, X509Certificate2Collection? clientAuthorities)
    {
        _certificate = certificate;
        _chain = chain;
        ClientAuthorities = clientAuthorities;
    }

    /// <summary>The authority of <see cref="CoordinatorOptions.TlsClientCaFile"/>; null when workers need no certificate.</summary>
    public X509Certificate2Collection? ClientAuthorities { get; }

    /// <summary>Loads the files the options name; null when the coordinator serves cleartext. Throws an ArgumentException naming a bad file.</summary>
    public static ServerTls? Load(CoordinatorOptions options)
    {
        if (options.TlsCertificateFile is not { } certificateFile || options.TlsKeyFile is not { } keyFile)
        {
            return null;
        }
        var certificate = TlsFiles.LoadCertificate(certificateFile, keyFile, nameof(CoordinatorOptions.TlsCertificateFile), nameof(CoordinatorOptions.TlsKeyFile));
        // The certificates after the first are the intermediates sent with it.
        var chain = TlsFiles.LoadCertificates(certificateFile, nameof(CoordinatorOptions.TlsCertificateFile));
        chain.RemoveAt(0);
        var clientAuthorities = options.TlsClientCaFile is { } caFile ? TlsFiles.LoadCertificates(caFile, nameof(CoordinatorOptions.TlsClientCaFile)) : null;
        return new ServerTls(certificate, chain, clientAuthorities);
    }

    /// <summary>HTTP/2 over TLS on this endpoint.</summary>
    public void Apply(ListenOptions listen) => listen.UseHttps(new HttpsConnectionAdapterOptions
    {
        ServerCertificate = _certificate,
        ServerCertificateChain = _chain.Count > 0 ? _chain : null,
        // Asked for only with mutual TLS. Any certificate, or none, passes the handshake: clients need
        // none, and a worker's is judged by WorkerCertificates, which answers a Workers call without a
        // good one with a clear UNAUTHENTICATED instead of a failed handshake.
        ClientCertificateMode = ClientAuthorities is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.AllowCertificate,
        ClientCertificateValidation = (_, _, _) => true,
    });
}
