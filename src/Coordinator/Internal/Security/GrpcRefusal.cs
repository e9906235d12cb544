using System.Globalization;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Cluster.Coordinator.Internal.Security;

/// <summary>Answers a call before gRPC reads it: a trailers-only reply (HTTP 200, the status in the headers).</summary>
internal static class GrpcRefusal
{
    public static Task WriteAsync(HttpContext context, StatusCode status, string message)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)status).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = Uri.EscapeDataString(message);
        return Task.CompletedTask;
    }
}
