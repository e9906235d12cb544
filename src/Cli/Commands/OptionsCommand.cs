using Cluster.Cli.Settings;

namespace Cluster.Cli.Commands;

/// <summary><c>cluster options</c>: every option of every command; <c>--markdown</c> prints the README's table.</summary>
internal static class OptionsCommand
{
    public static int Run(SettingValues values)
    {
        Console.Write(values.Get(ClusterOptions.Markdown) ? OptionTable.Markdown() : OptionTable.Text());
        return 0;
    }
}
