using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Cli;

/// <summary>Runs the cluster command to its end: its exit code and its output (standard output and error, interleaved).</summary>
internal static class CommandOutput
{
    public static async Task<(int ExitCode, string Output)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        await using var command = ChildProcess.StartCluster(environment, arguments);
        var exitCode = await command.WaitForExitAsync(TimeSpan.FromSeconds(120));
        // The output is read asynchronously: wait for its end as well.
        await command.Exited.WithTimeout();
        return (exitCode, command.Output);
    }

    public static Task<(int ExitCode, string Output)> RunAsync(params string[] arguments) => RunAsync(new Dictionary<string, string>(), arguments);

    /// <summary>Asserts the command failed as every command must: exit code 1, one line on "cluster: ", no stack trace.</summary>
    public static string AssertOneLineFailure((int ExitCode, string Output) run)
    {
        Assert.True(run.ExitCode == 1, $"exit code {run.ExitCode}:{Environment.NewLine}{run.Output}");
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"more than one line:{Environment.NewLine}{run.Output}");
        Assert.StartsWith("cluster: ", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", run.Output, StringComparison.Ordinal);
        return lines[0].TrimEnd('\r');
    }
}
