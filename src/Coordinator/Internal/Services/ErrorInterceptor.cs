using Grpc.Core;
using Grpc.Core.Interceptors;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Services;

/// <summary>The one place where failures become gRPC statuses a caller can act on.</summary>
internal sealed class ErrorInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception e) when (Map(e) is { } mapped)
        {
            throw mapped;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception e) when (Map(e) is { } mapped)
        {
            throw mapped;
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception e) when (Map(e) is { } mapped)
        {
            throw mapped;
        }
    }

    private static RpcException? Map(Exception e) => e switch
    {
        RpcException => null,
        RedisConnectionException or RedisTimeoutException => new RpcException(new Status(StatusCode.Unavailable, "The task store is unavailable: " + e.Message)),
        // Redis at its maxmemory with a no-eviction policy refuses every write: nothing was stored.
        RedisServerException when e.Message.Contains("OOM command not allowed", StringComparison.Ordinal) =>
            new RpcException(new Status(StatusCode.ResourceExhausted, "The task store is full: Redis used memory is over its 'maxmemory' limit, so nothing was stored. Raise maxmemory or let the queues drain. (" + e.Message + ")")),
        Google.Protobuf.InvalidProtocolBufferException => new RpcException(new Status(StatusCode.InvalidArgument, "Malformed message: " + e.Message)),
        _ => null,
    };
}
