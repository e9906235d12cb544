namespace Cluster.IntegrationTests.Sessions;

/// <summary>The options of the short-retention fixtures.</summary>
internal static class ShortRetentionCluster
{
    public static readonly TimeSpan Retention = TimeSpan.FromSeconds(2);

    public const int MaxResultBytes = 1024 * 1024;

    public static readonly string[] Arguments =
    [
        "--retention", ((int)Retention.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--max-result", MaxResultBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ];
}
