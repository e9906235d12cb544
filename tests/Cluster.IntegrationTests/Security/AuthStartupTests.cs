using Cluster.IntegrationTests.Infrastructure;
using Cluster.Testing;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// Protected mode and the tokens file at start-up: a coordinator beyond loopback needs tokens or
/// --insecure; a bad tokens file stops it with the file and line, never a token.
/// </summary>
public sealed class AuthStartupTests
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Coordinator_OnANonLoopbackHost_WithoutTokens_RefusesToStart_SayingHowToAddThem()
    {
        await using var coordinator = ChildProcess.StartCluster("coordinator", "--host", "0.0.0.0", "--port", "0");

        Assert.Equal(1, await coordinator.WaitForExitAsync(Start));
        Assert.Contains("Refusing to listen on 0.0.0.0 without tokens", coordinator.Output, StringComparison.Ordinal);
        Assert.Contains("--tokens FILE", coordinator.Output, StringComparison.Ordinal);
        Assert.Contains("ROLE NAME TOKEN", coordinator.Output, StringComparison.Ordinal);
        Assert.Contains("--insecure", coordinator.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Coordinator_OnANonLoopbackHost_StartsWithInsecure()
    {
        await using var coordinator = ChildProcess.StartCluster("coordinator", "--host", "0.0.0.0", "--port", "0", "--insecure");

        await coordinator.WaitForOutputAsync("Coordinator listening on ", Start);
    }

    [Fact]
    public async Task Coordinator_OnANonLoopbackHost_StartsWithTokens()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, $"admin ops {ClusterFixture.NewToken()}\n");
        try
        {
            await using var coordinator = ChildProcess.StartCluster("coordinator", "--host", "0.0.0.0", "--port", "0", "--tokens", file);

            await coordinator.WaitForOutputAsync("Coordinator listening on ", Start);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Coordinator_WithABadTokensFile_RefusesToStart_NamingTheFileAndLine_NotTheToken()
    {
        var token = ClusterFixture.NewToken();
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, $"# grants\nadmin ops {ClusterFixture.NewToken()}\n\nsuperuser root {token}\n");
        try
        {
            await using var coordinator = ChildProcess.StartCluster("coordinator", "--port", "0", "--tokens", file);

            Assert.Equal(1, await coordinator.WaitForExitAsync(Start));
            Assert.Contains($"tokens file '{file}' line 4: the first field must be a role: client, worker or admin.", coordinator.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(token, coordinator.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
