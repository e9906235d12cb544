using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Cluster.Coordinator.Internal.Services;

/// <summary>
/// Request body framing errors, which Grpc.AspNetCore answers before any handler or deserializer
/// runs with INTERNAL ("Incomplete message." when the body ends before the length its 5-byte
/// header announced; "Additional data after the message received."; a compressed flag without an
/// encoding) or even UNKNOWN and a logged stack trace (a flag other than 0 or 1; a length past
/// 2 GiB): they are the caller's fault, so they become INVALID_ARGUMENT, counted with the other
/// malformed requests.
/// </summary>
internal static class MalformedFrames
{
    private static readonly string[] FramingErrors =
    [
        "Incomplete message.",
        "Additional data after the message received.",
        "Request did not include grpc-encoding value with compressed message.",
        "Request sent 'identity' grpc-encoding value with compressed flag set.",
        "Unexpected compressed flag value in message header.",
    ];

    private const string Internal = "13";
    private const string InvalidArgument = "3";
    private const int HeaderSize = 5;

    /// <summary>True when <paramref name="message"/> is Grpc.AspNetCore's word for a request frame it could not read.</summary>
    public static bool IsFramingError(string? message) =>
        message is not null && (FramingErrors.Contains(message) || message.StartsWith("Message too large", StringComparison.Ordinal));

    /// <summary>
    /// True when reading a client stream failed because the caller reset its call (it went away), not
    /// because its frames were malformed: a handler ends the call quietly then, where gRPC would log
    /// the reset as an error of the method, with its stack.
    /// </summary>
    public static bool CallerWentAway(Exception e) => e is IOException && !IsFramingError(e.Message);

    /// <summary>
    /// Middleware: refuses a call whose first frame header is unreadable, and rewrites the status of a
    /// call refused for its framing, while the reply is still unsent (gRPC's trailers-only reply). A
    /// call with one request message whose caller resets it while it is read ends as cancelled, where
    /// gRPC would log the reset as an error of the method, with its stack, before any handler runs.
    /// </summary>
    public static async Task RewriteAsync(HttpContext context, RequestDelegate next, MalformedRequests malformed)
    {
        // Calls with one request message only: a client stream may rightly wait for the server before
        // it sends (and its handler reads it, so it tells a reset from a framing error itself).
        if (context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method.Type is MethodType.Unary or MethodType.ServerStreaming)
        {
            if (await FirstHeaderProblemAsync(context.Request.BodyReader, context.RequestAborted).ConfigureAwait(false) is { } problem)
            {
                Refuse(context, malformed, problem);
                return;
            }
            var body = context.Features.Get<IRequestBodyPipeFeature>();
            if (body is not null)
            {
                context.Features.Set<IRequestBodyPipeFeature>(new ResetAsCancelled(body.Reader));
            }
        }
        await next(context).ConfigureAwait(false);
        var headers = context.Response.Headers;
        if (context.Response.HasStarted || headers["grpc-status"] != Internal || !IsFramingError(headers["grpc-message"]))
        {
            return;
        }
        Refuse(context, malformed, headers["grpc-message"]!);
    }

    private static void Refuse(HttpContext context, MalformedRequests malformed, string problem)
    {
        var refusal = malformed.Refuse($"request frame of {context.Request.Path}", new InvalidDataException(problem));
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = InvalidArgument;
        context.Response.Headers["grpc-message"] = Uri.EscapeDataString(refusal.Status.Detail);
    }

    /// <summary>Looks at the first frame's header without consuming it: what is wrong with it, or null.</summary>
    private static async Task<string?> FirstHeaderProblemAsync(PipeReader body, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var result = await body.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (buffer.Length >= HeaderSize || result.IsCompleted)
                {
                    // Nothing consumed or examined: the gRPC reader reads the same bytes again at once.
                    body.AdvanceTo(buffer.Start);
                    return HeaderProblem(buffer);
                }
                body.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The caller went away; the gRPC reader sees the same.
            return null;
        }
    }

    /// <summary>
    /// The request body as gRPC reads it: a read that fails because the call was aborted (an
    /// <see cref="IOException"/> that is not a framing error: the caller reset it, its deadline passed,
    /// the connection or the server is going away) throws a cancelled <see cref="RpcException"/> instead,
    /// which gRPC logs as the status of the call, without a stack (at Information and below, gRPC's
    /// own "Error reading message." line still carries the read's exception).
    /// </summary>
    private sealed class ResetAsCancelled(PipeReader inner) : PipeReader, IRequestBodyPipeFeature
    {
        public PipeReader Reader => this;

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            ValueTask<ReadResult> pending;
            try
            {
                pending = inner.ReadAsync(cancellationToken);
            }
            catch (IOException e) when (CallerWentAway(e))
            {
                throw Cancelled(e);
            }
            return pending.IsCompletedSuccessfully ? pending : AwaitAsync(pending);
        }

        private static async ValueTask<ReadResult> AwaitAsync(ValueTask<ReadResult> pending)
        {
            try
            {
                return await pending.ConfigureAwait(false);
            }
            catch (IOException e) when (CallerWentAway(e))
            {
                throw Cancelled(e);
            }
        }

        public override bool TryRead(out ReadResult result)
        {
            try
            {
                return inner.TryRead(out result);
            }
            catch (IOException e) when (CallerWentAway(e))
            {
                throw Cancelled(e);
            }
        }

        private static RpcException Cancelled(IOException e) => new(new Status(StatusCode.Cancelled, $"The request was aborted while it was read: {e.Message}"));

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
    }

    private static string? HeaderProblem(ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < HeaderSize)
        {
            return null;
        }
        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        return header[0] > 1 ? "Unexpected compressed flag value in message header."
            : BinaryPrimitives.ReadUInt32BigEndian(header[1..]) > int.MaxValue ? "Message too large: its header announces more than 2 GiB."
            : null;
    }
}
