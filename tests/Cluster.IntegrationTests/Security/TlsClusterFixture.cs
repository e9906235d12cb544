using Cluster.Client;
using Cluster.Contracts;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Grpc.Net.Client;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// `cluster up` serving TLS with a self-signed certificate made for the test (embedded store, one
/// worker process: TLS is transport, not store), and a channel that trusts it.
/// </summary>
public abstract class TlsClusterFixture : IAsyncLifetime
{
    private ChildProcess? _cluster;
    private GrpcChannel? _channel;

    public TlsTestCertificates Certificates { get; } = new();

    public Uri Address { get; private set; } = null!;

    public string Output => _cluster?.Output ?? string.Empty;

    public bool IsRunning => _cluster is { HasExited: false };

    /// <summary>Admin over TLS, trusting the coordinator's certificate.</summary>
    public Admin.AdminClient Admin => new(_channel!);

    /// <summary>The client's security: trusts the coordinator's certificate.</summary>
    public ChannelSecurity Trusting => new() { TlsCaFile = Certificates.ServerCertificateFile };

    public ClusterExecutor NewExecutor() => new(Address.ToString(), new ClusterExecutorOptions { TlsCa = Certificates.ServerCertificateFile });

    /// <summary>More arguments for `cluster up`.</summary>
    protected virtual IEnumerable<string> ExtraArguments => [];

    public async Task InitializeAsync()
    {
        _cluster = ChildProcess.StartCluster(
            ["up", "--port", "0", "--processes", "1", "--tls-cert", Certificates.ServerCertificateFile, "--tls-key", Certificates.ServerKeyFile, .. ExtraArguments]);
        var listening = await _cluster.WaitForOutputAsync(@"Coordinator listening on (\S+)", TimeSpan.FromSeconds(90));
        Address = new Uri(listening.Groups[1].Value);
        _channel = ClusterChannel.Create(Address, Trusting);
        await TaskTimeouts.Eventually(async () => (await Admin.StatusAsync(new StatusRequest())).Workers.Count == 1, "up's worker process is connected over TLS");
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
        Certificates.Dispose();
    }
}
