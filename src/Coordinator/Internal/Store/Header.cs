namespace Cluster.Coordinator.Internal.Store;

/// <summary>A task's header as the scripts write it: "state|attempt|session|name|worker|lost|failed".</summary>
internal sealed record Header(char State, int Attempt, string Session, string Name, string Worker, int Lost, int Failed)
{
    public static Header? Parse(string text)
    {
        var parts = text.Split('|');
        if (parts.Length != 7 || parts[0].Length != 1)
        {
            return null;
        }
        return new Header(parts[0][0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts[2], parts[3], parts[4],
            int.Parse(parts[5], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[6], System.Globalization.CultureInfo.InvariantCulture));
    }
}
