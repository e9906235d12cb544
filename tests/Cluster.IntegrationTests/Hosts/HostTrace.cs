using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Hosts;

/// <summary>What the tests across network hosts read: worker connections in a coordinator's log, and the hop trace.</summary>
internal static class HostTrace
{
    /// <summary>The worker process of <paramref name="daemon"/>, once <paramref name="coordinator"/> has logged its connection.</summary>
    public static async Task<int> ConnectedWorkerAsync(ChildProcess coordinator, ChildProcess daemon)
    {
        var pid = 0;
        await TaskTimeouts.Eventually(() => Task.FromResult((pid = ProcFs.Children(daemon.Id).FirstOrDefault()) != 0), "the daemon has started its worker process");
        await coordinator.WaitForOutputAsync($@"connected from .* \(pid {pid}\)", TimeSpan.FromSeconds(60));
        return pid;
    }

    /// <summary>Runs begun on a worker process so far (its <c>worker.started</c> marks).</summary>
    public static int Started(string trace, int pid) => HopMarks.Read(trace, pid).Count(m => m.Point == "worker.started");

    /// <summary>Completions the client read off the wire, by task id, before it dropped any duplicate (of <paramref name="ids"/> only, when given).</summary>
    public static Dictionary<string, int> Completions(string trace, IReadOnlySet<string>? ids = null) =>
        HopMarks.Read(trace).Where(m => m.Point == "client.completed" && (ids is null || ids.Contains(m.TaskId))).GroupBy(m => m.TaskId).ToDictionary(g => g.Key, g => g.Count());
}
