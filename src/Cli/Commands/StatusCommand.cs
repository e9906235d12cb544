using Cluster.Protocol.V1;
using Cluster.Contracts;

namespace Cluster.Cli.Commands;

internal static class StatusCommand
{
    public static async Task<int> RunAsync(IEnumerable<string> rest, CancellationToken cancellationToken)
    {
        var args = new Arguments(rest, new HashSet<string>());
        var coordinator = args.Url("coordinator", "http://127.0.0.1:5050");
        var security = TlsArguments.Client(args);
        args.RejectUnknown();
        using var channel = ClusterChannel.Create(coordinator, security);
        var status = await new Admin.AdminClient(channel).StatusAsync(new StatusRequest(), cancellationToken: cancellationToken);
        Console.WriteLine($"store: {(status.Store.Length > 0 ? status.Store : "not reported")}");
        Console.WriteLine($"{status.Workers.Count} worker processes");
        Console.WriteLine($"{"worker",-40} {"host",-16} {"pid",7} {"threads",7} {"coroutines",10} {"leased",7}");
        foreach (var w in status.Workers)
        {
            Console.WriteLine($"{w.WorkerId,-40} {w.Host,-16} {w.ProcessId,7} {w.Threads,7} {w.Coroutines,10} {w.Leased,7}");
        }
        Console.WriteLine();
        Console.WriteLine($"{"task",-24} {"queued",9}  state");
        foreach (var q in status.Queues)
        {
            Console.WriteLine($"{q.Name,-24} {q.Queued,9}  {(q.Waiting ? "waiting: no live worker handles it" : "served")}");
        }
        return 0;
    }
}
