using System.Net;

namespace Cluster.Coordinator.Internal.Security;

/// <summary>Start-up checks of the security settings: protected mode and the per-identity limits.</summary>
internal static class SecuritySettings
{
    /// <summary>Is authentication on: a tokens file, or grants held in memory?</summary>
    public static bool Authenticates(CoordinatorOptions options) => options.TokensFile is not null || options.Grants.Count > 0;

    /// <summary>Throws with a message naming the setting when the coordinator must not start.</summary>
    public static void Validate(CoordinatorOptions options)
    {
        if (options.MaxStreamsPerIdentity < 1)
        {
            throw new ArgumentException($"MaxStreamsPerIdentity (--max-streams) must be at least 1, not {options.MaxStreamsPerIdentity}.");
        }
        if (options.MaxSessionsPerIdentity < 1)
        {
            throw new ArgumentException($"MaxSessionsPerIdentity (--max-sessions) must be at least 1, not {options.MaxSessionsPerIdentity}.");
        }
        // Protected mode: beyond loopback, anyone who reaches the port would own the cluster.
        if (!Authenticates(options) && !options.Insecure && !IsLoopback(options.Host))
        {
            throw new ArgumentException(
                $"Refusing to listen on {options.Host} without tokens: anyone who reaches this port could submit, serve and read every task. " +
                $"Give --tokens FILE (TokensFile), a file of grants '{TokensFile.Format}', e.g. 'client app 0f3c...', " +
                "or pass --insecure (Insecure) to serve without authentication on a network you trust.");
        }
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
}
