using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cluster.Worker;

/// <summary>
/// The per-host daemon: keeps N worker processes running (as ProcessPoolExecutor keeps its
/// workers), starts a new one when one dies, and stops them all, by process id, when it stops.
/// </summary>
public sealed partial class WorkerDaemon
{
    private readonly int _processes;
    private readonly Func<int, ProcessStartInfo> _startInfo;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<int, Process> _children = [];
    private readonly TimeSpan _stopGrace;

    /// <param name="processes">How many worker processes to keep running.</param>
    /// <param name="startInfo">How to start worker process number i. Its standard input is redirected:
    /// the child should exit when it reaches end of file, which happens when the daemon dies.</param>
    /// <param name="logger">Logs starts, exits and restarts of worker processes. Default: none.</param>
    /// <param name="stopGrace">How long a worker process may drain after SIGTERM before it is killed. Default: 40 seconds.</param>
    public WorkerDaemon(int processes, Func<int, ProcessStartInfo> startInfo, ILogger<WorkerDaemon>? logger = null, TimeSpan? stopGrace = null)
    {
        _stopGrace = stopGrace ?? TimeSpan.FromSeconds(40);
        if (processes is < 1 or > 1024)
        {
            throw new ArgumentException($"Processes must be between 1 and 1024, not {processes}.", nameof(processes));
        }
        _processes = processes;
        _startInfo = startInfo;
        _logger = logger ?? NullLogger<WorkerDaemon>.Instance;
    }

    /// <summary>Process ids of the worker processes running now.</summary>
    public IReadOnlyList<int> ProcessIds
    {
        get
        {
            lock (_lock)
            {
                return _children.Values.Select(p => p.Id).ToArray();
            }
        }
    }

    /// <summary>Runs the worker processes until the token fires, then stops every one of them.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(Enumerable.Range(0, _processes).Select(i => KeepRunningAsync(i, cancellationToken)));

    private async Task KeepRunningAsync(int slot, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (!cancellationToken.IsCancellationRequested)
        {
            var info = _startInfo(slot);
            info.RedirectStandardInput = true;
            info.UseShellExecute = false;
            var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start worker process '{info.FileName}'.");
            lock (_lock)
            {
                _children[slot] = process;
            }
            LogStarted(slot, process.Id);
            var started = Stopwatch.StartNew();
            try
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                LogExited(slot, process.Id, process.ExitCode);
            }
            catch (OperationCanceledException)
            {
                Stop(process);
            }
            finally
            {
                lock (_lock)
                {
                    _children.Remove(slot);
                }
                process.Dispose();
            }
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            delay = started.Elapsed > TimeSpan.FromSeconds(10) ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            try
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>SIGTERM first, so the worker process drains; past the grace period, SIGKILL to its tree.</summary>
    private void Stop(Process process)
    {
        try
        {
            if (process.HasExited)
            {
                return;
            }
            if (OperatingSystem.IsWindows() || Kill(process.Id, SigTerm) != 0 || !process.WaitForExit(_stopGrace))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    private const int SigTerm = 15;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LoggerMessage(EventId = 150, Level = LogLevel.Information, Message = "Worker process {Slot} started (pid {ProcessId})")]
    private partial void LogStarted(int slot, int processId);

    [LoggerMessage(EventId = 151, Level = LogLevel.Warning, Message = "Worker process {Slot} (pid {ProcessId}) exited with code {ExitCode}; starting a new one")]
    private partial void LogExited(int slot, int processId, int exitCode);
}
