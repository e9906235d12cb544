using Cluster.Testing;

namespace Cluster.FaultSuite;

/// <summary>Faults that report whether they happened: a signal delivered to a live process, and its effect seen in /proc.</summary>
internal static class Inject
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>SIGKILL; true when it hit a live process and that process is gone.</summary>
    public static async Task<bool> KillAsync(int pid) =>
        ChildProcess.Signal(pid, ChildProcess.SigKill) && await UntilAsync(() => !ProcFs.IsAlive(pid));

    /// <summary>SIGSTOP for <paramref name="pause"/>, then SIGCONT; true when the process was seen stopped, then running again.</summary>
    public static async Task<bool> PauseAsync(int pid, TimeSpan pause)
    {
        var stopped = ChildProcess.Signal(pid, ChildProcess.SigStop) && await UntilAsync(() => ProcFs.IsStopped(pid));
        await Task.Delay(pause);
        var resumed = ChildProcess.Signal(pid, ChildProcess.SigCont) && await UntilAsync(() => !ProcFs.IsStopped(pid));
        return stopped && resumed;
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds; false when it never did.</summary>
    public static async Task<bool> UntilAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Deadline);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(20);
        }
        return true;
    }
}
