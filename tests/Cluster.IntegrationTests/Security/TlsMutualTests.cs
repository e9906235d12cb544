using Cluster.Contracts;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Grpc.Core;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// `cluster up --tls-client-ca`: Workers.Connect needs a client certificate the worker authority
/// signed; clients and Admin need none; up's own worker, with its certificate, serves tasks.
/// </summary>
public sealed class TlsMutualTests(TlsMutualCluster cluster) : IClassFixture<TlsMutualCluster>
{
    private const string OutsideHost = "outside";

    [Fact]
    public async Task UpsOwnWorker_WithItsClientCertificate_ServesTasks_ToAClientWithoutOne()
    {
        await using var executor = cluster.NewExecutor();

        var futures = Enumerable.Range(0, 100).Select(i => executor.Submit<long>("add", i, i)).ToList();
        var results = await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout();

        // Only up's worker handles "add": every result came through its mutual-TLS connection.
        Assert.Equal(Enumerable.Range(0, 100).Select(i => 2L * i), results);
    }

    [Fact]
    public async Task WorkersConnect_WithoutAClientCertificate_IsUnauthenticated()
    {
        var error = await ConnectAsync(cluster.Trusting);

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("needs a client certificate", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("--tls-client-cert", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WorkersConnect_WithACertificateAnotherCaSigned_IsUnauthenticated()
    {
        var error = await ConnectAsync(Presenting(cluster.Certificates.StrangerCertificateFile, cluster.Certificates.StrangerKeyFile));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("'CN=stranger' does not chain to the worker certificate authority", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WorkersConnect_WithACertificateTheWorkerCaSigned_IsAccepted()
    {
        using var channel = ClusterChannel.Create(cluster.Address, Presenting(cluster.Certificates.WorkerCertificateFile, cluster.Certificates.WorkerKeyFile));
        using var call = new Protocol.V1.Workers.WorkersClient(channel).Connect();

        await call.RequestStream.WriteAsync(Hello("tls-mutual-accepted")).WithTimeout();

        // An accepted worker hears its welcome first.
        Assert.True(await call.ResponseStream.MoveNext().WithTimeout());
        await call.RequestStream.CompleteAsync().WithTimeout();
    }

    [Fact]
    public async Task WorkerCommand_WithTheCaAndItsClientCertificate_Connects()
    {
        await using var worker = ChildProcess.StartCluster(
        [
            "worker", "--coordinator", cluster.Address.ToString(), "--processes", "1",
            "--tls-ca", cluster.Certificates.ServerCertificateFile,
            "--tls-client-cert", cluster.Certificates.WorkerCertificateFile, "--tls-client-key", cluster.Certificates.WorkerKeyFile,
        ]);

        // Up's own worker and this one; the outside workers of other tests say hello from "outside".
        await TaskTimeouts.Eventually(
            async () => (await cluster.Admin.StatusAsync(new StatusRequest())).Workers.Count(w => w.Host != OutsideHost) == 2,
            "the worker command's process is connected over mutual TLS");
    }

    /// <summary>Trusts the coordinator and presents this client certificate.</summary>
    private ChannelSecurity Presenting(string certificateFile, string keyFile) =>
        cluster.Trusting with { TlsClientCertificateFile = certificateFile, TlsClientKeyFile = keyFile };

    /// <summary>Opens Workers.Connect, says hello, and returns the status the stream ends with.</summary>
    private async Task<RpcException> ConnectAsync(ChannelSecurity security)
    {
        using var channel = ClusterChannel.Create(cluster.Address, security);
        using var call = new Protocol.V1.Workers.WorkersClient(channel).Connect(deadline: DateTime.UtcNow.AddSeconds(30));
        return await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await call.RequestStream.WriteAsync(Hello("tls-mutual-refused"));
            await call.ResponseStream.MoveNext();
        }).WithTimeout();
    }

    private static WorkerMessage Hello(string workerId)
    {
        var message = new WorkerMessage { Hello = new Hello { WorkerId = workerId, Host = OutsideHost, ProcessId = 1, Threads = 1 } };
        message.Hello.Handlers.Add(new HandlerInfo { Name = "tls-mutual-only", Kind = ExecutionKind.ThreadPool });
        return message;
    }
}
