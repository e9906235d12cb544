using System.Text.RegularExpressions;
using Cluster.Cli.Settings;

namespace Cluster.IntegrationTests.Cli;

/// <summary>Each command's --help, as a new user runs it: every option the command takes, with its default.</summary>
public sealed class HelpTests
{
    [Theory]
    [InlineData("up")]
    [InlineData("coordinator")]
    [InlineData("worker")]
    [InlineData("demo")]
    [InlineData("status")]
    [InlineData("dead-letters")]
    [InlineData("secrets")]
    [InlineData("options")]
    public async Task Help_OfEachCommand_ListsEveryOptionItTakes_WithItsDefault(string word)
    {
        var command = CommandWords.Public.Single(p => p.Word == word).Command;

        var (exitCode, output) = await CommandOutput.RunAsync(word, "--help");

        Assert.True(exitCode == 0, $"exit code {exitCode}:{Environment.NewLine}{output}");
        var lines = output.Split('\n');
        foreach (var setting in ClusterOptions.For(command))
        {
            var line = lines.FirstOrDefault(l => Regex.IsMatch(l, $@"^\s+{Regex.Escape(setting.Flag)}(\s|$)"));
            Assert.True(line is not null, $"`cluster {word} --help` does not list {setting.Flag}:{Environment.NewLine}{output}");
            Assert.Contains($"[default: {setting.DefaultText}", line, StringComparison.Ordinal);
            if (setting.EnvironmentVariable is not null)
            {
                Assert.Contains($"env {setting.EnvironmentVariable}", line, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Help_OfTheRoot_ListsEveryCommand_AndEveryOptionWithItsDefault()
    {
        var (exitCode, output) = await CommandOutput.RunAsync("--help");

        Assert.True(exitCode == 0, $"exit code {exitCode}:{Environment.NewLine}{output}");
        foreach (var (_, word) in CommandWords.Public)
        {
            Assert.Matches(new Regex($@"^\s+{Regex.Escape(word)}\s", RegexOptions.Multiline), output);
        }
        foreach (var setting in ClusterOptions.All)
        {
            Assert.Matches(new Regex($@"^\s+{Regex.Escape(setting.Flag)}\b.*default: {Regex.Escape(setting.DefaultText)}", RegexOptions.Multiline), output);
        }
    }
}
