using Microsoft.Extensions.Logging;

namespace Cluster.Worker;

/// <summary>The worker process's log events (100-109).</summary>
public sealed partial class WorkerProcess
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Connected to {Coordinator} as {WorkerId}")]
    private partial void LogConnected(string workerId, Uri coordinator);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Connection to {Coordinator} lost: {Reason}; reconnecting")]
    private partial void LogConnectionLost(Uri coordinator, string reason);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "Task {TaskId} ran past its hard timeout of {HardTimeoutMs} ms; ending this worker process")]
    private partial void LogHardTimeout(string taskId, int hardTimeoutMs);

    [LoggerMessage(EventId = 106, Level = LogLevel.Error, Message = "Task {TaskId} ran past its hard timeout of {HardTimeoutMs} ms and failed; its handler, which ignores its token, keeps a thread of this process busy until it returns")]
    private partial void LogHardTimeoutKeptThread(string taskId, int hardTimeoutMs);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Draining: {Released} unstarted tasks handed back, {Running} running get up to {Grace} to finish")]
    private partial void LogDraining(int released, int running, TimeSpan grace);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Leases taken: the coordinator took the leases of {Tasks} tasks (heartbeats had stopped for longer than the lease); {Running} running here are asked to stop, and their results will not be sent")]
    private partial void LogRevoked(int tasks, int running);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "Leases taken: {Coordinator} ended this connection ({Detail}); connecting again under a new worker id")]
    private partial void LogLeasesTaken(Uri coordinator, string detail);
}
