using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;

namespace Cluster.Contracts;

/// <summary>The gRPC channel clients and workers open to a coordinator.</summary>
public static class ClusterChannel
{
    /// <summary>The scheme of an address that names several coordinators through DNS: <c>dns:///host:port</c>.</summary>
    public const string DnsScheme = "dns";

    /// <summary>What an address option takes, for messages.</summary>
    public const string AddressForms = "an http://, https:// or dns:/// address such as http://127.0.0.1:5050";

    /// <summary>
    /// True for a coordinator address: http://host:port, https://host:port, or dns:///host:port (every
    /// address the name resolves to is a coordinator; calls go round-robin over them).
    /// </summary>
    public static bool IsAddress(Uri address) =>
        address.IsAbsoluteUri && (address.Scheme == Uri.UriSchemeHttp || address.Scheme == Uri.UriSchemeHttps || address.Scheme == DnsScheme);

    /// <summary>
    /// HTTP/2 keepalive pings, so a dead peer on a long-lived stream is noticed; no message size
    /// limit here (the coordinator enforces its payload limit with a clear error). With a token,
    /// every call carries <c>authorization: Bearer TOKEN</c>. A dns:/// address is resolved by
    /// gRPC's DNS resolver, and calls go round-robin over the addresses it finds (a stream stays
    /// on one); it speaks TLS when <see cref="ChannelSecurity.TlsCaFile"/> is given, cleartext otherwise.
    /// </summary>
    public static GrpcChannel Create(Uri address, ChannelSecurity? security = null)
    {
        security ??= ChannelSecurity.None;
        var dns = address.Scheme == DnsScheme;
        var tls = address.Scheme == Uri.UriSchemeHttps || (dns && security.TlsCaFile is not null);
        var options = new GrpcChannelOptions
        {
            HttpHandler = Handler(security),
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
        };
        if (dns)
        {
            options.ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } };
            options.Credentials = tls ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure;
        }
        if (security.Token is { Length: > 0 } token)
        {
            var header = "Bearer " + token;
            var bearer = CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", header);
                return Task.CompletedTask;
            });
            options.Credentials = ChannelCredentials.Create(
                tls ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure, bearer);
            // A token over cleartext is allowed: on loopback and in private networks it is the
            // operator's choice; the coordinator's protected mode refuses to listen beyond loopback without TLS or --insecure.
            options.UnsafeUseInsecureChannelCallCredentials = true;
        }
        return GrpcChannel.ForAddress(address, options);
    }

    /// <summary>Loads the TLS files <paramref name="security"/> names: throws an <see cref="ArgumentException"/> naming a bad one.</summary>
    public static void CheckFiles(ChannelSecurity security) => Handler(security).Dispose();

    /// <summary>
    /// The HTTP/2 handler. For https:// addresses: with <see cref="ChannelSecurity.TlsCaFile"/> the
    /// coordinator's certificate must chain to exactly that authority (and name the host, as
    /// always); without it the system's trusted roots apply. With a client certificate, it is
    /// presented for mutual TLS. A bad file throws an <see cref="ArgumentException"/> naming it.
    /// </summary>
    private static SocketsHttpHandler Handler(ChannelSecurity security)
    {
        var handler = new SocketsHttpHandler
        {
            KeepAlivePingDelay = TimeSpan.FromSeconds(10),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            EnableMultipleHttp2Connections = true,
        };
        if (security.TlsCaFile is { } caFile)
        {
            handler.SslOptions.CertificateChainPolicy = TlsFiles.TrustOnly(TlsFiles.LoadCertificates(caFile, nameof(ChannelSecurity.TlsCaFile)));
        }
        if (security.TlsClientCertificateFile is not null || security.TlsClientKeyFile is not null)
        {
            if (security.TlsClientCertificateFile is not { } certificateFile || security.TlsClientKeyFile is not { } keyFile)
            {
                throw new ArgumentException("TlsClientCertificateFile and TlsClientKeyFile go together: give both or neither.");
            }
            handler.SslOptions.ClientCertificates = [TlsFiles.LoadCertificate(certificateFile, keyFile, nameof(ChannelSecurity.TlsClientCertificateFile), nameof(ChannelSecurity.TlsClientKeyFile))];
        }
        return handler;
    }
}
