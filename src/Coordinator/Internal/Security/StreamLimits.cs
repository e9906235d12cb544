using System.Collections.Concurrent;
using Cluster.Protocol.V1;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Cluster.Coordinator.Internal.Security;

/// <summary>
/// Bounds what one identity holds open on this coordinator: its streams (completion streams and
/// worker connections; submit streams apart, against the same limit) and the distinct sessions it
/// streams completions of. Anonymous callers (no tokens file) count as one identity. Checked once
/// per stream, never per message.
/// </summary>
internal sealed class StreamLimits(CoordinatorOptions options) : Interceptor
{
    private readonly ConcurrentDictionary<string, IdentityUsage> _usage = new(StringComparer.Ordinal);

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var identity = CallerIdentity.Of(context);
        var usage = Usage(identity);
        var streams = Open(identity, usage.Streams, "streams");
        var session = (request as CompletionsRequest)?.Session;
        try
        {
            if (session is not null && !usage.TryOpenSession(session, options.MaxSessionsPerIdentity, out var sessions))
            {
                throw Exhausted($"{Who(identity)} streams the completions of {sessions} sessions on this coordinator; the limit is {options.MaxSessionsPerIdentity} (--max-sessions).");
            }
            try
            {
                await continuation(request, responseStream, context).ConfigureAwait(false);
            }
            finally
            {
                if (session is not null)
                {
                    usage.CloseSession(session);
                }
            }
        }
        finally
        {
            streams.Close();
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var identity = CallerIdentity.Of(context);
        var usage = Usage(identity);
        var streams = context.Method == SubmitStreamMethod ? Open(identity, usage.SubmitStreams, "submit streams") : Open(identity, usage.Streams, "streams");
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        finally
        {
            streams.Close();
        }
    }

    private const string SubmitStreamMethod = "/cluster.v1.Tasks/SubmitStream";

    private IdentityUsage Usage(CallerIdentity identity) => _usage.GetOrAdd(identity.Name, static _ => new IdentityUsage());

    private StreamCount Open(CallerIdentity identity, StreamCount streams, string what)
    {
        if (!streams.TryOpen(options.MaxStreamsPerIdentity, out var open))
        {
            throw Exhausted($"{Who(identity)} holds {open} {what} on this coordinator; the limit is {options.MaxStreamsPerIdentity} (--max-streams).");
        }
        return streams;
    }

    private static string Who(CallerIdentity identity) => identity.Name.Length > 0 ? $"identity '{identity.Name}'" : "the anonymous identity (no tokens file)";

    private static RpcException Exhausted(string message) => new(new Status(StatusCode.ResourceExhausted, message));
}
