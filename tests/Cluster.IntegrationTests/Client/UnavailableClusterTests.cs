using System.Net;
using System.Net.Sockets;
using System.Diagnostics;
using Cluster.Client;
using Cluster.IntegrationTests.Futures;
using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Client;

/// <summary>
/// A cluster that is down: no coordinator answers at the addresses given. A submit fails once
/// UnavailableTimeout has passed without a coordinator taking it, so shutting down returns; and
/// submits that pile up meanwhile are bounded by MaxPendingBytes, blocking their callers.
/// </summary>
public sealed class UnavailableClusterTests
{
    [Fact]
    public async Task Submit_FailsWithClusterUnavailable_NamingTheAddressTried_WhenNoCoordinatorAnswers()
    {
        var address = DeadCoordinator.Address();
        var executor = new ClusterExecutor(address, new ClusterExecutorOptions { UnavailableTimeout = TimeSpan.FromSeconds(1) });
        var watch = Stopwatch.StartNew();

        var future = executor.Submit<long>("add", 1, 2);

        var error = await Assert.ThrowsAsync<ClusterUnavailableException>(() => future.WithTimeout(TimeSpan.FromSeconds(30)));
        watch.Stop();
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        Assert.Equal(future.Id, error.TaskId);
        Assert.Equal([address], error.Addresses);
        Assert.Contains(address, error.Message, StringComparison.Ordinal);
        Assert.Equal("Unavailable", error.LastStatus);
        Assert.Contains("retrying later may help", error.Message, StringComparison.Ordinal);
        Assert.Equal(FutureState.Finished, future.State);
        // Nothing is left to wait for: disposing (shutdown with wait) returns.
        await executor.DisposeAsync().AsTask().WithTimeout(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Submit_FailsWithClusterUnavailable_PastItsDeadline_WhenACoordinatorTakesTheConnectionAndNeverAnswers()
    {
        // A hung coordinator: it accepts connections and reads nothing, answers nothing.
        using var hung = new TcpListener(IPAddress.Loopback, 0);
        hung.Start();
        var held = new System.Collections.Concurrent.ConcurrentQueue<TcpClient>();
        var accepting = AcceptForeverAsync(hung, held);
        var address = $"http://127.0.0.1:{((IPEndPoint)hung.LocalEndpoint).Port}";
        var executor = new ClusterExecutor(address, new ClusterExecutorOptions { UnavailableTimeout = TimeSpan.FromSeconds(2) });
        try
        {
            var future = executor.Submit<long>("add", 1, 2);

            var error = await Assert.ThrowsAsync<ClusterUnavailableException>(() => future.WithTimeout(TimeSpan.FromSeconds(30)));

            Assert.Equal("DeadlineExceeded", error.LastStatus);
            Assert.Equal([address], error.Addresses);
            Assert.NotEmpty(held);
            await executor.DisposeAsync().AsTask().WithTimeout(TimeSpan.FromSeconds(10));
        }
        finally
        {
            hung.Stop();
            foreach (var client in held)
            {
                client.Dispose();
            }
            await accepting;
        }
    }

    private static async Task AcceptForeverAsync(TcpListener listener, System.Collections.Concurrent.ConcurrentQueue<TcpClient> held)
    {
        try
        {
            while (true)
            {
                held.Enqueue(await listener.AcceptTcpClientAsync());
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // stopped
        }
    }

    [Fact]
    public async Task Shutdown_ReturnsOnceTheUnacceptedSubmitsFailed_WhenNoCoordinatorAnswers()
    {
        var executor = new ClusterExecutor(DeadCoordinator.Address(), new ClusterExecutorOptions { UnavailableTimeout = TimeSpan.FromSeconds(1), MaxBatchTasks = 7 });
        var futures = Enumerable.Range(0, 100).Select(i => executor.Submit<long>("add", i, i)).ToList();

        await executor.ShutdownAsync(wait: true).WithTimeout(TimeSpan.FromSeconds(30));

        Assert.All(futures, f => Assert.IsType<ClusterUnavailableException>(f.GetException(TimeSpan.Zero)));
        Assert.Equal(0, executor.PendingCount);
    }

    [Fact]
    public async Task Submit_BlocksItsCaller_WhileUnacceptedSubmitsHoldMaxPendingBytes()
    {
        // Room for three of these submits: the fourth waits until earlier ones are done (here: failed, as no coordinator answers).
        var executor = new ClusterExecutor(DeadCoordinator.Address(), new ClusterExecutorOptions { UnavailableTimeout = TimeSpan.FromSeconds(1), MaxPendingBytes = 64 * 1024 });
        var text = new string('x', 20 * 1024);
        var first = Enumerable.Range(0, 3).Select(_ => executor.Submit<string>("echo", text)).ToList();

        var fourth = await Task.Run(() => executor.Submit<string>("echo", text)).WithTimeout(TimeSpan.FromSeconds(30));

        Assert.Contains(first, f => f.Done);
        await Assert.ThrowsAsync<ClusterUnavailableException>(() => fourth.WithTimeout(TimeSpan.FromSeconds(30)));
        Assert.All(first, f => Assert.IsType<ClusterUnavailableException>(f.GetException(TimeSpan.FromSeconds(30))));
        await executor.DisposeAsync().AsTask().WithTimeout(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ASingleSubmitLargerThanMaxPendingBytes_StillGoes()
    {
        var executor = new ClusterExecutor(DeadCoordinator.Address(), new ClusterExecutorOptions { UnavailableTimeout = TimeSpan.FromSeconds(1), MaxPendingBytes = 1024 });

        var future = await Task.Run(() => executor.Submit<string>("echo", new string('x', 4096))).WithTimeout(TimeSpan.FromSeconds(30));

        await Assert.ThrowsAsync<ClusterUnavailableException>(() => future.WithTimeout(TimeSpan.FromSeconds(30)));
        await executor.DisposeAsync().AsTask().WithTimeout(TimeSpan.FromSeconds(10));
    }
}
