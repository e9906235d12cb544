using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests;

public sealed class DeploymentTests
{
    [SkippableFact]
    public async Task ComposeFile_IsAcceptedByDockerCompose()
    {
        var compose = ProgramPath.Find("docker-compose");
        Requirements.Require(compose is null ? "docker-compose is not installed (apt-get install docker-compose)" : null);
        var root = RepositoryRoot();

        await using var process = ChildProcess.Start(compose!, ["-f", Path.Combine(root, "docker-compose.yml"), "config"]);
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 0, process.Output);
        foreach (var service in new[] { "redis:", "coordinator:", "worker-1:", "worker-2:" })
        {
            Assert.Contains(service, process.Output, StringComparison.Ordinal);
        }
        Assert.Contains("--appendonly", process.Output, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Cluster.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("Cluster.sln not found above " + AppContext.BaseDirectory);
    }
}
