using Cluster.Worker;
using Microsoft.Extensions.Logging;

namespace Cluster.IntegrationTests.Hosting;

/// <summary>A task module whose constructor takes a scoped service and a logger from the application's services.</summary>
public sealed class ProbeModule(RunProbe probe, ILogger<ProbeModule> logger) : ITaskModule
{
    public void Register(TaskRegistry tasks)
    {
        tasks.Register("hosting.module.probe", Probe);
        tasks.Register("hosting.module.probe_async", ProbeAsync);
    }

    private int Probe(string caller)
    {
        logger.LogDebug("Probe {Id} for {Caller}", probe.Id, caller);
        return probe.Disposed ? -1 : probe.Id;
    }

    private async Task<int> ProbeAsync(string caller, CancellationToken cancellationToken)
    {
        await Task.Yield();
        return Probe(caller);
    }
}
