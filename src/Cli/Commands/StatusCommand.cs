using Cluster.Cli.Settings;
using Cluster.Contracts;
using Cluster.Protocol.V1;

namespace Cluster.Cli.Commands;

internal static class StatusCommand
{
    public static async Task<int> RunAsync(SettingValues values, CancellationToken cancellationToken)
    {
        var coordinator = values.Get(ClusterOptions.Coordinator)!;
        var security = ClientToken.Security(values);
        using var channel = ClusterChannel.Create(coordinator, security);
        var status = await new Admin.AdminClient(channel).StatusAsync(new StatusRequest(), cancellationToken: cancellationToken);
        if (values.Get(ClusterOptions.Json))
        {
            JsonOutput.Write(new
            {
                store = status.Store,
                workerCount = status.Workers.Count,
                queuedCount = status.Queues.Sum(q => q.Queued),
                workers = status.Workers.Select(w => new { workerId = w.WorkerId, host = w.Host, processId = w.ProcessId, threads = w.Threads, coroutines = w.Coroutines, leased = w.Leased }),
                queues = status.Queues.Select(q => new { name = q.Name, queue = q.Queue, queued = q.Queued, waiting = q.Waiting, noListener = q.NoListener }),
            });
            return 0;
        }
        Console.WriteLine($"store: {(status.Store.Length > 0 ? status.Store : "not reported")}");
        Console.WriteLine($"{status.Workers.Count} worker processes");
        Console.WriteLine($"{"worker",-40} {"host",-16} {"pid",7} {"threads",7} {"coroutines",10} {"leased",7}");
        foreach (var w in status.Workers)
        {
            Console.WriteLine($"{w.WorkerId,-40} {w.Host,-16} {w.ProcessId,7} {w.Threads,7} {w.Coroutines,10} {w.Leased,7}");
        }
        Console.WriteLine();
        Console.WriteLine($"{"task",-24} {"queue",-12} {"queued",9}  state");
        foreach (var q in status.Queues)
        {
            var state = q.NoListener ? $"waiting: no live worker listens to queue '{q.Queue}'"
                : q.Waiting ? "waiting: no live worker handles it"
                : "served";
            Console.WriteLine($"{q.Name,-24} {q.Queue,-12} {q.Queued,9}  {state}");
        }
        return 0;
    }
}
