using Cluster.Cli.Settings;
using Cluster.Contracts;

namespace Cluster.Cli;

/// <summary>
/// The bearer token a command sends: <c>--token TOKEN</c>, else <c>--token-file FILE</c> (its
/// whitespace trimmed), else the environment variable <c>CLUSTER_TOKEN</c> (then
/// <c>CLUSTER_TOKEN_FILE</c>); a flag wins over the environment. No message here ever holds the token.
/// </summary>
internal static class ClientToken
{
    public static string EnvironmentVariable => ClusterOptions.Token.EnvironmentVariable!;

    /// <summary>A new token: 256 random bits, URL-safe base64 without padding.</summary>
    public static string New() =>
        Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string? From(SettingValues values)
    {
        var (token, file) = (ClusterOptions.Token, ClusterOptions.TokenFile);
        if (values.OnCommandLine(token) && values.OnCommandLine(file))
        {
            throw new UsageException("Give --token or --token-file, not both.");
        }
        var text = values.OnCommandLine(token) ? values.Get(token)
            : values.OnCommandLine(file) ? Read(values.Get(file)!)
            : values.IsGiven(token) ? values.Get(token)
            : values.IsGiven(file) ? Read(values.Get(file)!)
            : null;
        text = text?.Trim();
        return string.IsNullOrEmpty(text) ? null : text;
    }

    /// <summary>The channel security of a command that calls a coordinator: its token and the CA it trusts (--tls-ca).</summary>
    public static ChannelSecurity Security(SettingValues values) => TlsArguments.Client(values) with { Token = From(values) };

    private static string Read(string file)
    {
        string token;
        try
        {
            token = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--token-file '{file}' cannot be read: {e.Message}");
        }
        return string.IsNullOrWhiteSpace(token) ? throw new UsageException($"--token-file '{file}' is empty.") : token;
    }
}
