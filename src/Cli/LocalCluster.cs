using Cluster.Contracts;
using Cluster.Coordinator;
using Cluster.Protocol.V1;
using Cluster.Cli.Commands;
using Cluster.Worker;
using Microsoft.Extensions.Logging;

namespace Cluster.Cli;

/// <summary>A coordinator in this process and a worker daemon whose worker processes are children of it.</summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    private readonly CoordinatorHost _coordinator;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _daemon;
    private readonly ChannelSecurity _statusSecurity;

    private LocalCluster(CoordinatorHost coordinator, WorkerDaemon daemon, ChannelSecurity statusSecurity)
    {
        _coordinator = coordinator;
        _statusSecurity = statusSecurity;
        Daemon = daemon;
        _daemon = daemon.RunAsync(_stop.Token);
    }

    public Uri Address => _coordinator.Address;

    /// <summary>The coordinator's HTTP address (/metrics, /healthz); null when off.</summary>
    public Uri? HttpAddress => _coordinator.HttpAddress;

    public WorkerDaemon Daemon { get; }

    /// <summary>
    /// Starts the coordinator, then the worker daemon. With a tokens file, the daemon's worker
    /// processes get a random worker token held only in memory (the file is not written), and this
    /// process a random admin token for its own status checks.
    /// </summary>
    public static async Task<LocalCluster> StartAsync(CoordinatorOptions coordinator, WorkerSettings workers, ILoggerFactory logging, bool verbose, CancellationToken cancellationToken)
    {
        string? workerToken = null, adminToken = null;
        if (coordinator.TokensFile is not null)
        {
            workerToken = ClientToken.New();
            adminToken = ClientToken.New();
            coordinator.Grants.Add(new TokenGrant(ClusterRole.Worker, "cluster-up-workers", workerToken));
            coordinator.Grants.Add(new TokenGrant(ClusterRole.Admin, "cluster-up", adminToken));
        }
        var host = await CoordinatorHost.StartAsync(coordinator, verbose ? LogLevel.Information : LogLevel.Warning, cancellationToken);
        var daemon = new WorkerDaemon(workers.Processes, slot => WorkerCommand.ChildStartInfo([host.Address], workers, workerToken, slot), logging.CreateLogger<WorkerDaemon>());
        // The status checks trust what the daemon's workers trust.
        return new LocalCluster(host, daemon, new ChannelSecurity { Token = adminToken, TlsCaFile = workers.Security.TlsCaFile });
    }

    /// <summary>Waits until <paramref name="count"/> worker processes have said hello (a start-up readiness check).</summary>
    public async Task WaitForWorkersAsync(int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var channel = ClusterChannel.Create(Address, _statusSecurity);
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
