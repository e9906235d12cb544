using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Cli;

/// <summary>Hosts and containers start in any order: a coordinator started before its Redis waits for it.</summary>
public sealed class StoreWaitTests
{
    [SkippableFact]
    public async Task ACoordinator_StartedBeforeItsRedis_WaitsForIt_LoggingEachTry_ThenServes()
    {
        Requirements.Require(RedisServer.Missing);
        var port = RedisServer.FreeLoopbackPort();
        await using var coordinator = ChildProcess.StartCluster("coordinator", "--port", "0", "--redis", $"127.0.0.1:{port}", "--store-wait", "600");
        await coordinator.WaitForOutputAsync($"The task store at 127.0.0.1:{port} does not answer .*try 1\\)", TimeSpan.FromSeconds(120));

        await using var redis = await RedisServer.StartAsync(port: port);

        await coordinator.WaitForOutputAsync("^Coordinator listening on ", TimeSpan.FromSeconds(120));
        Assert.Matches($"The task store at 127.0.0.1:{port} answered on try [0-9]+", coordinator.Output);
        var run = await CommandOutput.RunAsync("status", "--coordinator", (await coordinator.WaitForOutputAsync("^Coordinator listening on (\\S+)", TaskTimeouts.Default)).Groups[1].Value);
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains($"store: redis 127.0.0.1:{port}", run.Output, StringComparison.Ordinal);
    }
}
