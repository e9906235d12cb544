using System.Globalization;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>A task's header as the scripts write it: "state|attempt|session|name|worker|lost|failed".</summary>
internal sealed record Header(char State, int Attempt, string Session, string Name, string Worker, int Lost, int Failed)
{
    /// <summary>
    /// The header's fields; null when it is not one. A session scoped by its identity
    /// ("name|session") holds the one '|' a field may hold, so the session is whatever lies between
    /// the two fields before it and the four after it.
    /// </summary>
    public static Header? Parse(string text)
    {
        var parts = text.Split('|');
        if (parts.Length < 7 || parts[0].Length != 1)
        {
            return null;
        }
        var session = parts.Length == 7 ? parts[2] : string.Join('|', parts, 2, parts.Length - 6);
        return new Header(parts[0][0], int.Parse(parts[1], CultureInfo.InvariantCulture), session, parts[^4], parts[^3],
            int.Parse(parts[^2], CultureInfo.InvariantCulture), int.Parse(parts[^1], CultureInfo.InvariantCulture));
    }
}
