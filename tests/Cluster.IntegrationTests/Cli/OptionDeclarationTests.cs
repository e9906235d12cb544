using Cluster.Cli.Settings;

namespace Cluster.IntegrationTests.Cli;

/// <summary>The declared options against the README and the rule that up takes every coordinator and worker option.</summary>
public sealed class OptionDeclarationTests
{
    [Fact]
    public void ReadmeOptionTable_IsTheOneTheDeclarationsMake()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md")).ReplaceLineEndings("\n");
        var begin = readme.IndexOf(OptionTable.BeginMarker, StringComparison.Ordinal);
        var end = readme.IndexOf(OptionTable.EndMarker, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, "README.md has no option table between its markers.");

        var table = readme[(begin + OptionTable.BeginMarker.Length + 1)..end];

        Assert.True(OptionTable.Markdown() == table,
            "README.md's option table differs from the declared options: run `dotnet run --project src/Cli -- options --markdown` and paste its output between the markers.");
    }

    [Fact]
    public void EveryCoordinatorOption_IsTakenByUp_AndEveryWorkerOption_ByWorkerAndUp()
    {
        foreach (var setting in ClusterOptions.All.Where(s => s.Commands.HasFlag(CommandNames.Coordinator)))
        {
            Assert.True(setting.Commands.HasFlag(CommandNames.Up), $"{setting.Flag} is a coordinator option that `cluster up` does not take.");
        }
        foreach (var setting in ClusterOptions.All.Where(s => s.Commands.HasFlag(CommandNames.WorkerProcess) && s != ClusterOptions.Coordinators))
        {
            Assert.True(setting.Commands.HasFlag(CommandNames.Worker) && setting.Commands.HasFlag(CommandNames.Up), $"{setting.Flag} is a worker option that `cluster worker` or `cluster up` does not take.");
        }
    }

    [Fact]
    public void NoCommand_TakesTwoOptionsOfOneName()
    {
        foreach (var (command, word) in CommandWords.Public.Append((CommandNames.WorkerProcess, "worker-process")))
        {
            var twice = ClusterOptions.For(command).GroupBy(s => s.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(twice.Count == 0, $"`cluster {word}` declares {string.Join(", ", twice)} twice.");
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "README.md")) && Directory.Exists(Path.Combine(directory.FullName, "src", "Cli")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No repository root above {AppContext.BaseDirectory}.");
    }
}
