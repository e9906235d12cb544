using System.Text;

namespace Cluster.Cli.Settings;

/// <summary>The option table of `cluster options` and of the README (`cluster options --markdown`).</summary>
internal static class OptionTable
{
    /// <summary>Where the README's table starts; the line after it is the table's first.</summary>
    public const string BeginMarker = "<!-- options: made by `dotnet run --project src/Cli -- options --markdown` from src/Cli/Settings/ClusterOptions.cs; edit that file, not this table -->";

    /// <summary>Where the README's table ends.</summary>
    public const string EndMarker = "<!-- end of options -->";

    /// <summary>The table in Markdown, one row per declared option, ending with a newline.</summary>
    public static string Markdown()
    {
        var text = new StringBuilder();
        text.Append("| option | commands | default | allowed | environment | sets | meaning |\n");
        text.Append("| --- | --- | --- | --- | --- | --- | --- |\n");
        foreach (var s in ClusterOptions.All)
        {
            var option = s.ValueName is null ? $"`{s.Flag}`" : $"`{s.Flag} {s.ValueName}`";
            var environment = s.EnvironmentVariable is null ? string.Empty : $"`{s.EnvironmentVariable}`";
            var sets = s.TargetText.Length == 0 ? string.Empty : string.Join(", ", s.TargetText.Split(", ").Select(t => $"`{t}`"));
            text.Append($"| {option} | {CommandWords.List(s.Commands)} | {Cell(s.DefaultText)} | {Cell(s.RangeText)} | {environment} | {sets} | {Cell(s.Help)} |\n");
        }
        return text.ToString();
    }

    /// <summary>The table as plain text: option, commands, default.</summary>
    public static string Text()
    {
        var rows = ClusterOptions.All
            .Select(s => (Option: s.ValueName is null ? s.Flag : $"{s.Flag} {s.ValueName}", Commands: CommandWords.List(s.Commands), s.DefaultText))
            .ToList();
        var first = rows.Max(r => r.Option.Length) + 2;
        var second = rows.Max(r => r.Commands.Length) + 2;
        var text = new StringBuilder();
        foreach (var (option, commands, defaultText) in rows)
        {
            text.Append("  ").Append(option.PadRight(first)).Append(commands.PadRight(second)).Append("default: ").Append(defaultText).Append('\n');
        }
        return text.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
