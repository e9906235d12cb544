using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Cluster.Bench.Infrastructure;

/// <summary>
/// A process the benchmark starts: its output kept (the last lines) for diagnostics, stopped by
/// its PID — SIGTERM, then a kill of its tree — when disposed. Its standard input stays open, so a
/// cluster command started with --exit-with-parent stops by itself if this process dies.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
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

    public int Id => _process.Id;

    public string Description { get; }

    public bool HasExited => _process.HasExited;

    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Completes when the process has exited.</summary>
    public Task Exited => _process.WaitForExitAsync();

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>The last <paramref name="lines"/> lines of output.</summary>
    public string Tail(int lines) => string.Join(Environment.NewLine, _output.TakeLast(lines));

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments)
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
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var description = Path.GetFileName(fileName) + " " + string.Join(' ', info.ArgumentList.Select(a => a.Length == 0 ? "''" : a));
        var child = new ChildProcess(process, description);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Children.Add(child);
        return child;
    }

    /// <summary>Waits for a line of output matching <paramref name="pattern"/>.</summary>
    public async Task<Match> WaitForOutputAsync(string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern);
        var found = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            foreach (var line in _output)
            {
                if (regex.Match(line) is { Success: true } m)
                {
                    return m;
                }
            }
            _waits.Add((regex, found));
        }
        var exited = _process.WaitForExitAsync();
        var winner = await Task.WhenAny(found.Task, exited, Task.Delay(timeout));
        if (winner == found.Task)
        {
            return await found.Task;
        }
        throw new BenchException($"'{pattern}' did not appear {(winner == exited ? "before the process exited" : $"within {timeout.TotalSeconds:0} s")} in the output of `{Description}`:{Environment.NewLine}{Output}");
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
            while (_output.Count > 500)
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
                ProcFs.Signal(_process.Id, ProcFs.SigTerm);
                try
                {
                    await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
                }
                catch (TimeoutException)
                {
                    Console.Error.WriteLine($"bench: `{Description}` (pid {_process.Id}) ignored SIGTERM for 15 s; killing its tree.");
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
                }
            }
        }
        finally
        {
            Children.Remove(this);
            _process.Dispose();
        }
    }

    /// <summary>Kills (by PID, with its tree) whatever is still running; for an abnormal exit of the benchmark.</summary>
    public static void KillAll()
    {
        foreach (var child in Children.Snapshot())
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

    private static class Children
    {
        private static readonly Lock Gate = new();
        private static readonly HashSet<ChildProcess> Running = [];

        public static void Add(ChildProcess child)
        {
            lock (Gate)
            {
                Running.Add(child);
            }
        }

        public static void Remove(ChildProcess child)
        {
            lock (Gate)
            {
                Running.Remove(child);
            }
        }

        public static ChildProcess[] Snapshot()
        {
            lock (Gate)
            {
                return [.. Running];
            }
        }
    }
}
