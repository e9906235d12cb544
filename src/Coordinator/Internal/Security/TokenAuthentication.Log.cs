using Microsoft.Extensions.Logging;

namespace Cluster.Coordinator.Internal.Security;

/// <summary>Authentication's log events (600-609). No token is ever logged.</summary>
internal sealed partial class TokenAuthentication
{
    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Loaded {Tokens} tokens of {Identities} identities from {Path}")]
    private partial void LogLoaded(int tokens, int identities, string path);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "The tokens file {Path} changed but cannot be used (line {Line}): {Problem}; the last good grants stay in force")]
    private partial void LogReloadFailed(string path, int line, string problem);
}
