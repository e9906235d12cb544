using System.Diagnostics;

namespace Cluster.Contracts;

/// <summary>
/// Off by default: with <c>CLUSTER_HOP_TRACE</c> set to a directory (or after <see cref="Start"/>),
/// each process appends a line <c>point task-id timestamp</c> to <c>hops.PID.txt</c> there whenever
/// a task passes one of the hops below. Timestamps are <see cref="Stopwatch"/> ticks (the system's
/// monotonic clock), so files from processes on one host line up; the benchmark's <c>hops</c>
/// scenario turns them into the time each hop takes. A mark costs a few microseconds when on,
/// and a field read when off.
/// </summary>
internal static class HopTrace
{
    /// <summary>The environment variable (<c>CLUSTER_HOP_TRACE</c>) naming the directory to trace into, read at start; unset: off.</summary>
    public const string EnvironmentVariable = "CLUSTER_HOP_TRACE";

    /// <summary>The hops of one task, in the order a task passes them.</summary>
    public static readonly IReadOnlyList<string> Points =
    [
        "client.submit", "client.send", "coordinator.received", "coordinator.storing", "coordinator.stored", "coordinator.assigned", "worker.received",
        "worker.started", "worker.finished", "worker.sent", "coordinator.result", "coordinator.committing", "coordinator.committed", "coordinator.delivered", "client.completed",
    ];

    private static readonly Lock Gate = new();
    private static StreamWriter? _writer = Open(Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>True while this process writes marks (the variable was set, or <see cref="Start"/> ran).</summary>
    public static bool Enabled => _writer is not null;

    /// <summary>Starts tracing this process into <paramref name="directory"/>.</summary>
    public static void Start(string directory)
    {
        lock (Gate)
        {
            _writer ??= Open(directory);
        }
    }

    /// <summary>Stops tracing this process and closes its file.</summary>
    public static void Stop()
    {
        lock (Gate)
        {
            _writer?.Dispose();
            _writer = null;
        }
    }

    /// <summary>Appends one line for <paramref name="taskId"/> passing <paramref name="point"/> (one of <see cref="Points"/>), stamped now; nothing when tracing is off.</summary>
    public static void Mark(string point, string taskId)
    {
        if (_writer is null)
        {
            return;
        }
        var ticks = Stopwatch.GetTimestamp();
        lock (Gate)
        {
            _writer?.WriteLine($"{point} {taskId} {ticks}");
        }
    }

    /// <summary>Marks every item of a batch at once; nothing is read from the items when tracing is off.</summary>
    public static void MarkEach<T>(string point, IEnumerable<T> items, Func<T, string> taskId)
    {
        if (_writer is null)
        {
            return;
        }
        var ticks = Stopwatch.GetTimestamp();
        lock (Gate)
        {
            foreach (var item in items)
            {
                _writer?.WriteLine($"{point} {taskId(item)} {ticks}");
            }
        }
    }

    private static StreamWriter? Open(string? directory) =>
        string.IsNullOrEmpty(directory) ? null : new StreamWriter(Path.Combine(directory, $"hops.{Environment.ProcessId}.txt"), append: true) { AutoFlush = true };
}
