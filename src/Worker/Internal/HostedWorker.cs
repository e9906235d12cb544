using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Worker.Internal;

/// <summary>
/// One worker process's connection, run as a hosted service in the application's own process: it
/// starts with the host and, when the host stops, drains (see <see cref="WorkerProcess.RunAsync"/>)
/// within the host's shutdown timeout.
/// </summary>
internal sealed class HostedWorker(IServiceProvider services, WorkerTasks tasks, IOptions<WorkerOptions> options, ILogger<WorkerProcess> logger) : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    // The scope the modules were made in to learn their handlers; a handler that is not one of a
    // module's methods (a closure over it) keeps using that instance.
    private AsyncServiceScope? _modules;
    private WorkerProcess? _worker;
    private Task? _running;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var registry = new TaskRegistry(services);
        if (tasks.Modules.Count > 0)
        {
            var scope = services.CreateAsyncScope();
            _modules = scope;
            foreach (var type in tasks.Modules)
            {
                registry.AddModule((ITaskModule)ActivatorUtilities.GetServiceOrCreateInstance(scope.ServiceProvider, type));
            }
        }
        foreach (var (name, handler, policy) in tasks.Handlers)
        {
            registry.Register(name, handler, policy);
        }
        _worker = new WorkerProcess(options.Value, registry, logger) { ExitOnHardTimeout = false };
        _running = _worker.RunAsync(_stop.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_running is null)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            // The drain waits up to WorkerOptions.DrainGrace; the host may give less.
            await _running.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Past the host's shutdown timeout: the coordinator requeues whatever this worker still holds.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _worker?.Dispose();
        if (_modules is { } scope)
        {
            await scope.DisposeAsync().ConfigureAwait(false);
        }
        _stop.Dispose();
    }
}
