using Cluster.Client;
using Cluster.Contracts;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// `cluster up --tls-cert --tls-key`: HTTP/2 over TLS end to end (client, coordinator and up's own
/// worker), and no way in for a plaintext client or a client that does not trust the certificate.
/// </summary>
public sealed class TlsTests(TlsCluster cluster) : IClassFixture<TlsCluster>
{
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(20);

    /// <summary>Asks for the status on <paramref name="channel"/>: the call must fail, and not by waiting out its deadline.</summary>
    private static async Task<RpcException> StatusFailsAsync(GrpcChannel channel)
    {
        var call = new Admin.AdminClient(channel).StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow + CallDeadline);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WithTimeout());
        Assert.NotEqual(StatusCode.DeadlineExceeded, error.StatusCode);
        return error;
    }

    [Fact]
    public void Up_WithCertificateAndKey_ServesHttps()
    {
        Assert.Equal(Uri.UriSchemeHttps, cluster.Address.Scheme);
    }

    [Fact]
    public async Task Executor_TrustingTheCertificate_GetsEveryResult_FromAWorkerConnectedOverTls()
    {
        await using var executor = cluster.NewExecutor();

        var futures = Enumerable.Range(0, 200).Select(i => executor.Submit<long>("add", i, 1000)).ToList();
        var results = await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout();

        Assert.Equal(Enumerable.Range(0, 200).Select(i => i + 1000L), results);
        var status = await cluster.Admin.StatusAsync(new StatusRequest()).ResponseAsync.WithTimeout();
        Assert.Single(status.Workers);
    }

    [Fact]
    public async Task PlaintextClient_CannotTalkToTheTlsCoordinator_WhichStaysUp()
    {
        var plaintext = new UriBuilder(cluster.Address) { Scheme = Uri.UriSchemeHttp }.Uri;
        using var channel = GrpcChannel.ForAddress(plaintext);

        await StatusFailsAsync(channel);

        Assert.True(cluster.IsRunning, cluster.Output);
        Assert.NotNull(await cluster.Admin.StatusAsync(new StatusRequest()).ResponseAsync.WithTimeout());
    }

    [Fact]
    public async Task HttpsClient_WithTheSystemsRootsOnly_DoesNotTrustTheSelfSignedCertificate()
    {
        using var channel = ClusterChannel.Create(cluster.Address);

        var error = await StatusFailsAsync(channel);

        Assert.Contains("SSL connection could not be established", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpsClient_TrustingAnotherCa_DoesNotTrustTheCoordinator()
    {
        using var channel = ClusterChannel.Create(cluster.Address, new ChannelSecurity { TlsCaFile = cluster.Certificates.OtherCaFile });

        var error = await StatusFailsAsync(channel);

        Assert.Contains("SSL connection could not be established", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusCommand_WithTlsCa_ReportsTheClusterOverTls()
    {
        await using var status = ChildProcess.StartCluster(["status", "--coordinator", cluster.Address.ToString(), "--tls-ca", cluster.Certificates.ServerCertificateFile]);

        var exitCode = await status.WaitForExitAsync(TaskTimeouts.Default);

        Assert.True(exitCode == 0, $"exit code {exitCode}:{Environment.NewLine}{status.Output}");
        Assert.Contains("1 worker processes", status.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Executor_WithAMissingCaFile_IsRefused_NamingTheFile()
    {
        var missing = cluster.Certificates.File("absent-ca.pem");

        var error = Assert.Throws<ArgumentException>(() => new ClusterExecutor(cluster.Address.ToString(), new ClusterExecutorOptions { TlsCa = missing }));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Executor_WithACaFileThatHoldsNoCertificate_IsRefused_NamingTheFile()
    {
        // A key file is not a certificate; the message names the file without quoting it.
        var key = cluster.Certificates.ServerKeyFile;

        var error = Assert.Throws<ArgumentException>(() => new ClusterExecutor(cluster.Address.ToString(), new ClusterExecutorOptions { TlsCa = key }));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains("no PEM certificate", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", error.Message, StringComparison.Ordinal);
    }
}
