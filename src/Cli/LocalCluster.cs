using Cluster.Coordinator;
using Cluster.Protocol.V1;
using Cluster.Cli.Commands;
using Cluster.Worker;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace Cluster.Cli;

/// <summary>A coordinator in this process and a worker daemon whose worker processes are children of it.</summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    private readonly CoordinatorHost _coordinator;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _daemon;

    private LocalCluster(CoordinatorHost coordinator, WorkerDaemon daemon)
    {
        _coordinator = coordinator;
        Daemon = daemon;
        _daemon = daemon.RunAsync(_stop.Token);
    }

    public Uri Address => _coordinator.Address;

    public WorkerDaemon Daemon { get; }

    public static async Task<LocalCluster> StartAsync(CoordinatorOptions coordinator, WorkerSettings workers, ILoggerFactory logging, bool verbose, CancellationToken cancellationToken)
    {
        var host = await CoordinatorHost.StartAsync(coordinator, verbose ? LogLevel.Information : LogLevel.Warning, cancellationToken);
        var daemon = new WorkerDaemon(workers.Processes, _ => WorkerCommand.ChildStartInfo([host.Address], workers), logging.CreateLogger<WorkerDaemon>());
        return new LocalCluster(host, daemon);
    }

    /// <summary>Waits until <paramref name="count"/> worker processes have said hello (a start-up readiness check).</summary>
    public async Task WaitForWorkersAsync(int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var channel = GrpcChannel.ForAddress(Address);
        var admin = new Admin.AdminClient(channel);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while ((await admin.StatusAsync(new StatusRequest(), cancellationToken: deadline.Token)).Workers.Count < count)
            {
                await Task.Delay(100, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Fewer than {count} worker processes connected within {timeout.TotalSeconds:0} s.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _daemon;
        await _coordinator.DisposeAsync();
        _stop.Dispose();
    }
}
