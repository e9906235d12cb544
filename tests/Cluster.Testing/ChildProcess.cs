using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Cluster.Testing;

/// <summary>
/// A process a test, the fault suite or a benchmark starts: its output kept (the last lines) for
/// diagnostics, stopped by its PID — SIGTERM, then a kill of its tree — when disposed. Its
/// standard input stays open, so a cluster command started with --exit-with-parent stops by
/// itself if the starting process dies.
/// </summary>
public sealed partial class ChildProcess : IAsyncDisposable
{
    private static readonly Lock RunningGate = new();
    private static readonly HashSet<ChildProcess> Running = [];

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly List<(Regex Pattern, TaskCompletionSource<Match> Found)> _waits = [];
    private readonly Lock _lock = new();
    private int _disposed;

    private ChildProcess(Process process, string description)
    {
        _process = process;
        Description = description;
    }

    /// <summary>The command line, for messages.</summary>
    public string Description { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Completes when the process has exited.</summary>
    public Task Exited => _process.WaitForExitAsync();

    /// <summary>The output kept so far (standard output and error, interleaved).</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>The last <paramref name="lines"/> lines of output.</summary>
    public string Tail(int lines) => string.Join(Environment.NewLine, _output.TakeLast(lines));

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var description = Path.GetFileName(fileName) + " " + string.Join(' ', info.ArgumentList.Select(a => a.Length == 0 ? "''" : a));
        var child = new ChildProcess(process, description);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (RunningGate)
        {
            Running.Add(child);
        }
        return child;
    }

    /// <summary>The dotnet host that runs the cluster command.</summary>
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? ProgramPath.Find("dotnet") ?? "dotnet";

    /// <summary>The cluster command built beside the calling program.</summary>
    public static string ClusterDll => Path.Combine(AppContext.BaseDirectory, "cluster.dll");

    /// <summary>Starts the cluster command (the real executable), stopping by itself if this process dies.</summary>
    /// <remarks>
    /// The cluster is built to compile each method optimized on its first call, which pays off in a
    /// long-lived process; the many short-lived processes of a test run start faster with the
    /// runtime's quick first compile instead (the JIT mode changes no behaviour).
    /// </remarks>
    public static ChildProcess StartCluster(params string[] arguments) => StartCluster(new Dictionary<string, string>(), arguments);

    /// <summary>Starts the cluster command with extra environment variables (its children inherit them).</summary>
    public static ChildProcess StartCluster(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        Start(DotnetHost, [ClusterDll, .. FreeHttpPort(arguments), "--exit-with-parent"], new Dictionary<string, string>(environment) { ["DOTNET_TC_QuickJit"] = "1" });

    /// <summary>
    /// A coordinator (`up`, `coordinator`) started without <c>--http-port</c> gets <c>--http-port 0</c>:
    /// coordinators started side by side must not all take the default port 5051.
    /// </summary>
    public static string[] FreeHttpPort(string[] arguments) =>
        arguments.Length > 0 && arguments[0] is "up" or "coordinator" && !arguments.Contains("--http-port")
            ? [arguments[0], "--http-port", "0", .. arguments[1..]]
            : arguments;

    /// <summary>Waits for a line of output matching <paramref name="pattern"/>.</summary>
    /// <exception cref="TimeoutException">It did not appear in time, or the process exited first; the message holds the output.</exception>
    public async Task<Match> WaitForOutputAsync(string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern);
        var found = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (Seen(regex) is { } seen)
            {
                return seen;
            }
            _waits.Add((regex, found));
        }
        var exited = _process.WaitForExitAsync();
        var winner = await Task.WhenAny(found.Task, exited, Task.Delay(timeout));
        if (winner == found.Task)
        {
            return await found.Task;
        }
        // The exit may be noticed just before the last lines are matched: look at them once more.
        lock (_lock)
        {
            if (Seen(regex) is { } seen)
            {
                return seen;
            }
        }
        throw new TimeoutException($"'{pattern}' did not appear {(winner == exited ? "before the process exited" : $"within {timeout.TotalSeconds:0} s")} in the output of `{Description}`:{Environment.NewLine}{Output}");
    }

    /// <summary>The first line of output so far that matches; null when none does. Called under the lock.</summary>
    private Match? Seen(Regex regex) => _output.Select(line => regex.Match(line)).FirstOrDefault(m => m.Success);

    /// <summary>Sends SIGTERM (a graceful stop).</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            Signal(_process.Id, SigTerm);
        }
    }

    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    /// <summary>
    /// Sends a signal to any process by PID (e.g. 9 to kill a worker process, 19/18 to stop and resume it);
    /// true when it was delivered to a process that was running (not one gone or a zombie).
    /// </summary>
    public static bool Signal(int pid, int signal) => ProcFs.IsAlive(pid) && Kill(pid, signal) == 0;

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            if (!_process.HasExited)
            {
                Terminate();
                try
                {
                    await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
                }
                catch (TimeoutException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
                }
            }
        }
        finally
        {
            lock (RunningGate)
            {
                Running.Remove(this);
            }
            _process.Dispose();
        }
    }

    /// <summary>Kills (by PID, with its tree) every process still running; for an abnormal exit of the starting program.</summary>
    public static void KillAll()
    {
        List<ChildProcess> snapshot;
        lock (RunningGate)
        {
            snapshot = [.. Running];
        }
        foreach (var child in snapshot)
        {
            try
            {
                if (!child._process.HasExited)
                {
                    child._process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lock)
        {
            _output.Enqueue(line);
            while (_output.Count > 2000)
            {
                _output.TryDequeue(out _);
            }
            foreach (var (pattern, found) in _waits)
            {
                if (!found.Task.IsCompleted && pattern.Match(line) is { Success: true } m)
                {
                    found.TrySetResult(m);
                }
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
