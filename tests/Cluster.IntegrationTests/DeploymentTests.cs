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

    [SkippableFact]
    public async Task ComposeFile_StartsWorkersOnlyOnceTheCoordinatorIsHealthy()
    {
        var compose = ProgramPath.Find("docker-compose");
        Requirements.Require(compose is null ? "docker-compose is not installed (apt-get install docker-compose)" : null);

        await using var process = ChildProcess.Start(compose!, ["-f", Path.Combine(RepositoryRoot(), "docker-compose.yml"), "config"]);
        Assert.True(await process.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, process.Output);

        // The coordinator's probe is `cluster health` (grpc.health.v1: SERVING while its store answers) ...
        var coordinator = Service(process.Output, "coordinator");
        Assert.Contains("healthcheck:", coordinator, StringComparison.Ordinal);
        Assert.Matches(@"- /app/cluster\.dll\s+- health\s+- --coordinator", coordinator);
        // ... and each worker waits for it.
        foreach (var worker in new[] { "worker-1", "worker-2" })
        {
            Assert.Matches(@"depends_on:\s+coordinator:\s+condition: service_healthy", Service(process.Output, worker));
        }
    }

    /// <summary>The lines of one service in `docker-compose config` output (indented two spaces under services:).</summary>
    private static string Service(string config, string name)
    {
        var lines = config.Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimEnd() == $"  {name}:");
        Assert.True(start >= 0, $"no service {name} in:\n{config}");
        var end = Array.FindIndex(lines, start + 1, l => l.Length > 2 && l[2] != ' ' && l.StartsWith("  ", StringComparison.Ordinal));
        return string.Join('\n', lines[start..(end < 0 ? lines.Length : end)]);
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
