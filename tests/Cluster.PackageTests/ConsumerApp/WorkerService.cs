using Cluster.Worker;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ConsumerApp;

/// <summary>Runs one worker process for the lifetime of the host; on stop it drains.</summary>
internal sealed class WorkerService(WorkerOptions options, TaskRegistry registry, ILogger<WorkerProcess> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var worker = new WorkerProcess(options, registry, logger);
        await worker.RunAsync(stoppingToken);
    }
}
