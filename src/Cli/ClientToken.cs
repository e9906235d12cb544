using Cluster.Contracts;

namespace Cluster.Cli;

/// <summary>
/// The bearer token a command sends: <c>--token TOKEN</c>, else <c>--token-file FILE</c> (its
/// whitespace trimmed), else the environment variable <c>CLUSTER_TOKEN</c>; a flag wins over the
/// environment. No message here ever holds the token.
/// </summary>
internal static class ClientToken
{
    public const string EnvironmentVariable = "CLUSTER_TOKEN";

    /// <summary>A new token: 256 random bits, URL-safe base64 without padding.</summary>
    public static string New() =>
        Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string? From(Arguments args)
    {
        var token = args.String("token");
        var file = args.String("token-file");
        if (token is not null && file is not null)
        {
            throw new UsageException("Give --token or --token-file, not both.");
        }
        if (file is not null)
        {
            try
            {
                token = File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"--token-file '{file}' cannot be read: {e.Message}");
            }
            if (string.IsNullOrWhiteSpace(token))
            {
                throw new UsageException($"--token-file '{file}' is empty.");
            }
        }
        token ??= Environment.GetEnvironmentVariable(EnvironmentVariable);
        token = token?.Trim();
        return string.IsNullOrEmpty(token) ? null : token;
    }

    /// <summary>The channel security of a command that calls a coordinator: its token and the CA it trusts (--tls-ca).</summary>
    public static ChannelSecurity Security(Arguments args) => TlsArguments.Client(args) with { Token = From(args) };
}
