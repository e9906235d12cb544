using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.Contracts;

/// <summary>The gRPC channel clients and workers open to a coordinator.</summary>
public static class ClusterChannel
{
    /// <summary>
    /// HTTP/2 keepalive pings, so a dead peer on a long-lived stream is noticed; no message size
    /// limit here (the coordinator enforces its payload limit with a clear error). With a token,
    /// every call carries <c>authorization: Bearer TOKEN</c>.
    /// </summary>
    public static GrpcChannel Create(Uri address, ChannelSecurity? security = null)
    {
        security ??= ChannelSecurity.None;
        var options = new GrpcChannelOptions
        {
            HttpHandler = Handler(security),
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
        };
        if (security.Token is { Length: > 0 } token)
        {
            var header = "Bearer " + token;
            var bearer = CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", header);
                return Task.CompletedTask;
            });
            options.Credentials = ChannelCredentials.Create(
                address.Scheme == Uri.UriSchemeHttps ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure, bearer);
            // A token over cleartext is allowed: on loopback and in private networks it is the
            // operator's choice; the coordinator's protected mode refuses to listen beyond loopback without TLS or --insecure.
            options.UnsafeUseInsecureChannelCallCredentials = true;
        }
        return GrpcChannel.ForAddress(address, options);
    }

    private static SocketsHttpHandler Handler(ChannelSecurity security) => new()
    {
        KeepAlivePingDelay = TimeSpan.FromSeconds(10),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
        KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
        EnableMultipleHttp2Connections = true,
    };
}
