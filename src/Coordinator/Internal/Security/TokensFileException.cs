namespace Cluster.Coordinator.Internal.Security;

/// <summary>A tokens file (or an in-memory grant) that cannot be used: the message names the file and line, never a token.</summary>
internal sealed class TokensFileException(string message, int line) : ArgumentException(message)
{
    /// <summary>The 1-based line at fault; 0 when the problem is not one line's (e.g. the file cannot be read).</summary>
    public int Line { get; } = line;
}
