using Microsoft.AspNetCore.Http;

namespace Cluster.Coordinator.Internal.Services;

/// <summary>
/// Request body framing errors, which Grpc.AspNetCore answers before any handler or deserializer
/// runs with INTERNAL ("Incomplete message." when the body ends before the length its 5-byte
/// header announced; "Additional data after the message received."): they are the caller's fault,
/// so they become INVALID_ARGUMENT, counted with the other malformed requests.
/// </summary>
internal static class MalformedFrames
{
    private static readonly string[] FramingErrors = ["Incomplete message.", "Additional data after the message received."];
    private const string Internal = "13";
    private const string InvalidArgument = "3";

    /// <summary>Middleware: rewrites the status of a call refused for its framing, while the reply is still unsent (gRPC's trailers-only reply).</summary>
    public static async Task RewriteAsync(HttpContext context, RequestDelegate next, MalformedRequests malformed)
    {
        await next(context).ConfigureAwait(false);
        var headers = context.Response.Headers;
        if (context.Response.HasStarted || headers["grpc-status"] != Internal || !FramingErrors.Contains((string?)headers["grpc-message"]))
        {
            return;
        }
        var refusal = malformed.Refuse($"request frame of {context.Request.Path}", new InvalidDataException(headers["grpc-message"]));
        headers["grpc-status"] = InvalidArgument;
        headers["grpc-message"] = Uri.EscapeDataString(refusal.Status.Detail);
    }
}
