using Grpc.Net.Client;

namespace Cluster.Contracts;

/// <summary>The gRPC channel clients and workers open to a coordinator.</summary>
public static class ClusterChannel
{
    /// <summary>
    /// HTTP/2 keepalive pings, so a dead peer on a long-lived stream is noticed; no message size
    /// limit here (the coordinator enforces its payload limit with a clear error).
    /// </summary>
    public static GrpcChannel Create(Uri address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            KeepAlivePingDelay = TimeSpan.FromSeconds(10),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            EnableMultipleHttp2Connections = true,
        },
        MaxReceiveMessageSize = null,
        MaxSendMessageSize = null,
    });
}
