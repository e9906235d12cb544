using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Cluster.Coordinator.Internal.Services;

/// <summary>
/// Turns a request that does not parse (invalid UTF-8 in a string field, a truncated message or frame) into
/// INVALID_ARGUMENT, and logs such refusals at most once a minute, with a count: a caller that
/// sends garbage in a loop cannot flood the log.
/// </summary>
internal sealed partial class MalformedRequests(ILogger<MalformedRequests> logger)
{
    private readonly LineGate _gate = new(TimeSpan.FromMinutes(1));

    /// <summary>The status for the caller; logs a line only when none was logged in the last minute.</summary>
    /// <param name="what">What was malformed, e.g. "SubmitRequest message".</param>
    /// <param name="exception">The parse error; its message goes into the status and the log line.</param>
    public RpcException Refuse(string what, Exception exception)
    {
        var problem = $"The {what} is malformed: {exception.Message}";
        if (_gate.TryPass(out var earlier))
        {
            LogRefused(problem, earlier);
        }
        return new RpcException(new Status(StatusCode.InvalidArgument, problem));
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Warning, Message = "Refused a malformed request: {Problem} ({Earlier} more refused since the last such line; at most one line a minute)")]
    private partial void LogRefused(string problem, int earlier);
}
