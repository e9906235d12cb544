using Cluster.Contracts;
using Microsoft.Extensions.Logging;

namespace Cluster.Client;

/// <summary>Settings of a <see cref="ClusterExecutor"/>, checked when the executor is created.</summary>
public sealed class ClusterExecutorOptions
{
    /// <summary>
    /// Coordinators of one cluster, e.g. http://127.0.0.1:5050, for <c>services.AddClusterClient(...)</c>
    /// and <see cref="ClusterExecutor(ClusterExecutorOptions)"/> (the configuration section
    /// <c>Cluster:Client</c> binds <c>Cluster:Client:Addresses:0</c>, <c>:1</c>, ...); when the one in use is
    /// unavailable, the executor moves on to the next. The constructors that take addresses ignore
    /// it. Default: none.
    /// </summary>
    public IList<string> Addresses { get; } = [];

    /// <summary>
    /// Most tasks in one submit batch; at least 1. The coordinator refuses a larger Submit than its
    /// <c>--max-batch</c> (default 10,000) with ResourceExhausted, so keep this at or below that.
    /// Default: 4,096.
    /// </summary>
    public int MaxBatchTasks { get; set; } = 4096;

    /// <summary>The largest <see cref="MaxBatchBytes"/>: half of a 4 MiB message, leaving room for ids and names.</summary>
    public const int MaxBatchBytesLimit = 2 * 1024 * 1024;

    /// <summary>
    /// Most argument bytes in one submit batch (a single larger task still travels alone); from 1 to
    /// 2 MiB. Default: 1 MiB.
    /// </summary>
    public int MaxBatchBytes { get; set; } = 1 << 20;

    /// <summary>
    /// Submit batches in flight at once; at least 1. Default: 1, so a session's tasks reach the store
    /// in the order they were submitted (a coordinator may store two batches in flight at once in
    /// either order); what is submitted meanwhile waits and goes as the next, larger batch. More
    /// than 1 overlaps the sending of a batch with the storing of the one before on a slow link: on
    /// the submit stream a coordinator still stores them one after another, in order; with Submit
    /// calls (a dns:/// address) it may store them at once, in either order.
    /// </summary>
    public int MaxBatchesInFlight { get; set; } = 1;

    /// <summary>
    /// Most bytes of submits that no coordinator has accepted yet (their arguments, plus about 256
    /// bytes a task). When they are reached, <c>Submit</c> blocks its caller until earlier submits are
    /// accepted or done, as <c>queue.put</c> on a full bounded queue: nothing is dropped, and memory
    /// stays bounded however fast tasks are submitted. A single larger task still goes, alone.
    /// Default: 64 MiB.
    /// </summary>
    public long MaxPendingBytes { get; set; } = 64L << 20;

    /// <summary>
    /// How long a submit may go without a coordinator taking it — every one tried unavailable or
    /// failing — before its future fails with <see cref="ClusterUnavailableException"/>. Tasks a
    /// coordinator has accepted are not affected: they wait for their completions. Positive, or
    /// <see cref="Timeout.InfiniteTimeSpan"/> to retry for ever. Default: 30 seconds.
    /// </summary>
    public TimeSpan UnavailableTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// What a submit does when the coordinator refuses its task because the task name's queue is full
    /// (<c>--max-queued</c>): fail its future, or wait for room. Default: <see cref="QueueFullBehavior.Fail"/>.
    /// </summary>
    public QueueFullBehavior WhenQueueFull { get; set; } = QueueFullBehavior.Fail;

    /// <summary>
    /// The bearer token of a <c>client</c> identity, sent on every call; needed when the coordinator
    /// has a tokens file. Default: none.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>
    /// A PEM file of the certificate authority to trust for https:// coordinators whose certificate
    /// a private CA signed. Default: none (the system's trusted roots).
    /// </summary>
    public string? TlsCa { get; set; }

    /// <summary>The channel security these options describe.</summary>
    internal ChannelSecurity Security => new() { Token = Token, TlsCaFile = TlsCa };

    /// <summary>Where the SDK logs (failed callbacks, reconnections). Default: none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    internal void Validate()
    {
        if (Problem() is { } problem)
        {
            throw new ArgumentException(problem, "options");
        }
    }

    /// <summary>The first setting out of range, named with its range; null when every one is valid.</summary>
    internal string? Problem()
    {
        static string? Check(bool valid, string message) => valid ? null : $"ClusterExecutorOptions.{message}";
        return Check(MaxBatchTasks >= 1, $"MaxBatchTasks must be at least 1, not {MaxBatchTasks}.")
            ?? Check(MaxBatchBytes is >= 1 and <= MaxBatchBytesLimit, $"MaxBatchBytes must be from 1 to {MaxBatchBytesLimit} (half of a 4 MiB message, leaving room for the tasks' ids and names), not {MaxBatchBytes}.")
            ?? Check(MaxBatchesInFlight >= 1, $"MaxBatchesInFlight must be at least 1, not {MaxBatchesInFlight}.")
            ?? Check(MaxPendingBytes >= 1, $"MaxPendingBytes must be at least 1, not {MaxPendingBytes}.")
            ?? Check(UnavailableTimeout > TimeSpan.Zero || UnavailableTimeout == Timeout.InfiniteTimeSpan,
                $"UnavailableTimeout must be positive (or Timeout.InfiniteTimeSpan for no limit), not {UnavailableTimeout}.")
            ?? Check(Enum.IsDefined(WhenQueueFull), $"WhenQueueFull must be Fail or Wait, not {WhenQueueFull}.");
    }
}
