using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Cli;

/// <summary>
/// A command that cannot run, as a new user meets it: a bad option value, an unknown option, a store
/// or coordinator that does not answer. Each ends in one line naming the problem and what to do, and exit code 1.
/// </summary>
public sealed class FailureTests
{
    [Theory]
    [InlineData("--port must be a whole number from 0 to 65535, not '70000'.", "coordinator", "--port", "70000")]
    [InlineData("--lease-ms must be a whole number of milliseconds from 300 to 3600000, not '10'.", "up", "--lease-ms", "10")]
    [InlineData("--threads must be a whole number from 1 to 4096, not 'many'.", "worker", "--coordinator", "http://127.0.0.1:1", "--threads", "many")]
    [InlineData("--coordinator must be an http://, https:// or dns:/// address such as http://127.0.0.1:5050, not 'ftp://x'.", "status", "--coordinator", "ftp://x")]
    [InlineData("--store-wait must be a whole number of seconds from 0 to 86400, not '-1'.", "up", "--store-wait", "-1")]
    [InlineData("--threads × (1 + --prefetch) is 1025024; a worker process holds at most 1000000 tasks: lower --threads or --prefetch.", "worker", "--coordinator", "http://127.0.0.1:1", "--threads", "1024", "--prefetch", "1000")]
    public async Task ABadValue_StopsTheCommand_NamingTheOptionAndWhatItTakes(string message, params string[] arguments)
    {
        var line = CommandOutput.AssertOneLineFailure(await CommandOutput.RunAsync(arguments));

        Assert.Equal("cluster: " + message, line);
    }

    [Fact]
    public async Task ABadValue_FromAnEnvironmentVariable_NamesTheVariable()
    {
        var run = await CommandOutput.RunAsync(new Dictionary<string, string> { ["CLUSTER_MAX_BATCH"] = "0" }, "coordinator", "--port", "0");

        Assert.Equal("cluster: --max-batch must be a whole number from 1 to 2147483647, not '0' (from CLUSTER_MAX_BATCH).", CommandOutput.AssertOneLineFailure(run));
    }

    [Fact]
    public async Task AnUnknownOption_NamesIt_AndTheHelpToRead()
    {
        var line = CommandOutput.AssertOneLineFailure(await CommandOutput.RunAsync("coordinator", "--prot", "5050"));

        Assert.Contains("'--prot'", line, StringComparison.Ordinal);
        Assert.Contains("cluster coordinator --help", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACoordinator_WhoseStoreDoesNotAnswer_GivesUpAfterStoreWait_InOneLine()
    {
        var port = RedisServer.FreeLoopbackPort();

        var line = CommandOutput.AssertOneLineFailure(await CommandOutput.RunAsync("coordinator", "--port", "0", "--redis", $"127.0.0.1:{port}", "--store-wait", "0"));

        Assert.Contains($"Cannot reach the task store at 127.0.0.1:{port}", line, StringComparison.Ordinal);
        Assert.Contains("--store-wait", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("dead-letters")]
    public async Task ACommand_ToACoordinatorThatDoesNotAnswer_SaysSoInOneLine(string command)
    {
        var address = $"http://127.0.0.1:{RedisServer.FreeLoopbackPort()}";

        var line = CommandOutput.AssertOneLineFailure(await CommandOutput.RunAsync(command, "--coordinator", address, "--json"));

        Assert.Contains($"cannot reach the coordinator at {address}/", line, StringComparison.Ordinal);
        Assert.Contains("--coordinator", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEnvironmentVariable_GivesAnOptionItsValue()
    {
        var port = RedisServer.FreeLoopbackPort();
        await using var coordinator = ChildProcess.StartCluster(new Dictionary<string, string> { ["CLUSTER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) }, "coordinator");

        await coordinator.WaitForOutputAsync($"^Coordinator listening on http://127.0.0.1:{port}/ ", TaskTimeouts.Default);
    }

    [Fact]
    public async Task AFlag_WinsOverItsEnvironmentVariable()
    {
        await using var coordinator = ChildProcess.StartCluster(new Dictionary<string, string> { ["CLUSTER_PORT"] = "not-a-port" }, "coordinator", "--port", "0");

        await coordinator.WaitForOutputAsync("^Coordinator listening on http://127.0.0.1:", TaskTimeouts.Default);
    }
}
