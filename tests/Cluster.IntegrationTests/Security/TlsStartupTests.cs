using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Security;

/// <summary>`cluster up` (or `worker`) with TLS settings that cannot work refuses to start, saying which file or option is wrong.</summary>
public sealed class TlsStartupTests : IDisposable
{
    private readonly TlsTestCertificates _certificates = new();

    [Fact]
    public async Task Up_WithAKeyThatDoesNotMatchTheCertificate_RefusesToStart_NamingTheKeyFile()
    {
        var output = await RefusedAsync("--tls-cert", _certificates.ServerCertificateFile, "--tls-key", _certificates.WorkerKeyFile);

        Assert.Contains($"TlsKeyFile '{_certificates.WorkerKeyFile}'", output, StringComparison.Ordinal);
        Assert.Contains("matches", output, StringComparison.Ordinal);
        var keyBody = File.ReadAllLines(_certificates.WorkerKeyFile)[1];
        Assert.DoesNotContain(keyBody, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_WithACertificateButNoKey_RefusesToStart()
    {
        var output = await RefusedAsync("--tls-cert", _certificates.ServerCertificateFile);

        Assert.Contains("--tls-cert, --tls-key", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_WithAClientCaButNoCertificate_RefusesToStart()
    {
        var output = await RefusedAsync("--tls-client-ca", _certificates.WorkerCaFile);

        Assert.Contains("TlsClientCaFile (--tls-client-ca) needs", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_WithAClientCa_RequiresAClientCertificateForItsOwnWorker()
    {
        var output = await RefusedAsync(
            "--tls-cert", _certificates.ServerCertificateFile, "--tls-key", _certificates.ServerKeyFile, "--tls-client-ca", _certificates.WorkerCaFile);

        Assert.Contains("give up's own worker --tls-client-cert and --tls-client-key", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Worker_WithAClientCertificateButNoKey_RefusesToStart()
    {
        var output = await CommandRefusedAsync(
            ["worker", "--coordinator", "https://127.0.0.1:1", "--processes", "1", "--tls-client-cert", _certificates.WorkerCertificateFile]);

        Assert.Contains("--tls-client-cert and --tls-client-key go together", output, StringComparison.Ordinal);
    }

    /// <summary>Runs `cluster up` with <paramref name="tls"/>; asserts it exits with code 1, a failure, and returns its output.</summary>
    private static Task<string> RefusedAsync(params string[] tls) => CommandRefusedAsync(["up", "--port", "0", "--processes", "1", .. tls]);

    /// <summary>Runs the cluster command; asserts it exits with code 1, a failure, and returns its output.</summary>
    private static async Task<string> CommandRefusedAsync(IReadOnlyList<string> command)
    {
        await using var up = ChildProcess.StartCluster([.. command]);
        var exitCode = await up.WaitForExitAsync(TaskTimeouts.Default);
        Assert.True(exitCode == 1, $"exit code {exitCode}:{Environment.NewLine}{up.Output}");
        return up.Output;
    }

    public void Dispose() => _certificates.Dispose();
}
