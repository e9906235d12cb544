using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Services;

/// <summary>
/// The one place where failures become gRPC statuses a caller can act on. The store's own error text
/// stays on the coordinator (logged at most once a minute): a caller gets a fixed message.
/// </summary>
internal sealed partial class ErrorInterceptor(ILogger<ErrorInterceptor> logger, MalformedRequests malformed) : Interceptor
{
    private const string Unavailable = "The task store is unavailable; the call may be retried.";
    private const string Refused = "The task store refused the call; the coordinator's log says why.";
    private const string Full = "The task store is full: Redis used memory is over its 'maxmemory' limit, so nothing was stored. Raise maxmemory or let the queues drain.";

    // Interceptors are made per call: the gate is the process's.
    private static readonly LineGate StoreFaultLines = new(TimeSpan.FromMinutes(1));

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

    /// <summary>The status a caller gets for <paramref name="e"/>; null to let it pass as it is (an RpcException, or a fault of the coordinator's own).</summary>
    internal RpcException? Map(Exception e)
    {
        switch (e)
        {
            // A stream's later frames are read inside the handler: their framing errors come here
            // (INTERNAL, or UNKNOWN for an InvalidDataException or IOException of the frame reader).
            case RpcException { StatusCode: StatusCode.Internal } rpc when MalformedFrames.IsFramingError(rpc.Status.Detail):
                return malformed.Refuse("request frame", new InvalidDataException(rpc.Status.Detail));
            case InvalidDataException or IOException when MalformedFrames.IsFramingError(e.Message):
                return malformed.Refuse("request frame", e);
            case RpcException:
                return null;
            // Too few replicas acknowledged the writes (--replica-acks): the message is ours and says what to do.
            case Store.ReplicaAcksException:
                LogStoreFault(e.GetType().Name, e.Message);
                return new RpcException(new Status(StatusCode.Unavailable, e.Message));
            // Connection faults, and the replies of a store that is loading, failing over or resharding.
            case Exception when StoreRetry.IsTransient(e):
                LogStoreFault(e.GetType().Name, e.Message);
                return new RpcException(new Status(StatusCode.Unavailable, Unavailable));
            // Redis at its maxmemory with a no-eviction policy refuses every write: nothing was stored.
            case RedisServerException when e.Message.Contains("OOM command not allowed", StringComparison.Ordinal):
                LogStoreFault(e.GetType().Name, e.Message);
                return new RpcException(new Status(StatusCode.ResourceExhausted, Full));
            case Google.Protobuf.InvalidProtocolBufferException:
                return malformed.Refuse("message", e);
            // Any other refusal of the store is a fault of this coordinator, not of the caller: its text stays here.
            case RedisException:
                LogStoreFault(e.GetType().Name, e.Message);
                return new RpcException(new Status(StatusCode.Internal, Refused));
            default:
                return null;
        }
    }

    private void LogStoreFault(string type, string detail)
    {
        if (StoreFaultLines.TryPass(out var held))
        {
            LogStoreFailed(type, detail, held);
        }
    }

    [LoggerMessage(EventId = 510, Level = LogLevel.Warning, Message = "A call failed in the task store ({Type}: {Detail}); the caller was told the store is unavailable or full ({Held} more such failures since the last such line; at most one line a minute)")]
    private partial void LogStoreFailed(string type, string detail, int held);
}
