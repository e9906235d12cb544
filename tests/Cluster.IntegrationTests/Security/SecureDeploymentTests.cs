using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// The secure deployment a user makes by the book: `cluster secrets`, then a coordinator with its
/// tokens file and certificate, a client and the CLI with their tokens and the certificate as
/// their trust root.
/// </summary>
public sealed class SecureDeploymentTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cluster-secrets-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task SecretsCommand_MakesADeploymentWhereEachRoleDoesOnlyItsOwnWork()
    {
        await using (var secrets = ChildProcess.StartCluster("secrets", "--out", _directory))
        {
            Assert.True(await secrets.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, secrets.Output);
        }
        foreach (var secret in new[] { "tokens", "client.token", "worker.token", "admin.token", "tls.key" })
        {
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_directory, secret)));
            }
        }
        string Secret(string name) => Path.Combine(_directory, name);

        await using var cluster = ChildProcess.StartCluster("up", "--port", "0", "--processes", "1",
            "--tokens", Secret("tokens"), "--tls-cert", Secret("tls.crt"), "--tls-key", Secret("tls.key"));
        var listening = await cluster.WaitForOutputAsync(@"Coordinator listening on (\S+)", TimeSpan.FromSeconds(90));
        var address = listening.Groups[1].Value;
        Assert.StartsWith("https://", address, StringComparison.Ordinal);

        var options = new ClusterExecutorOptions { Token = File.ReadAllText(Secret("client.token")).Trim(), TlsCa = Secret("tls.crt") };
        await using (var executor = new ClusterExecutor(address, options))
        {
            var futures = Enumerable.Range(0, 100).Select(i => executor.Submit<long>("add", i, 1000)).ToList();
            var results = await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout();
            Assert.Equal(Enumerable.Range(1000, 100).Select(i => (long)i), results);
        }

        await using (var admin = ChildProcess.StartCluster("status", "--coordinator", address, "--token-file", Secret("admin.token"), "--tls-ca", Secret("tls.crt")))
        {
            Assert.True(await admin.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, admin.Output);
        }
        await using (var client = ChildProcess.StartCluster("status", "--coordinator", address, "--token-file", Secret("client.token"), "--tls-ca", Secret("tls.crt")))
        {
            Assert.NotEqual(0, await client.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("admin", client.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(File.ReadAllText(Secret("client.token")).Trim(), client.Output, StringComparison.Ordinal);
        }
    }
}
