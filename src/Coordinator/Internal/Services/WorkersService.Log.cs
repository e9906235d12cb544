using Microsoft.Extensions.Logging;

namespace Cluster.Coordinator.Internal.Services;

/// <summary>The worker stream's log events (200-299).</summary>
internal sealed partial class WorkersService
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Worker {WorkerId} connected from {Host} (pid {ProcessId}) with {HandlerCount} task names")]
    private partial void LogConnected(string workerId, string host, int processId, int handlerCount);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Worker {WorkerId} disconnected; {Requeued} leased tasks requeued, {DeadLettered} dead-lettered")]
    private partial void LogDisconnected(string workerId, int requeued, int deadLettered);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Dropped {Stale} stale results from worker {WorkerId}: their lease had moved on")]
    private partial void LogStaleResults(string workerId, int stale);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Worker {WorkerId} had been reaped while connected; its {Held} tasks are revoked and its stream ends")]
    private partial void LogRevoked(string workerId, int held);

    [LoggerMessage(EventId = 204, Level = LogLevel.Error, Message = "Lease loop of worker {WorkerId} failed")]
    private partial void LogLeaseLoopFailed(string workerId, Exception exception);

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "Could not requeue the leases of worker {WorkerId}; lease expiry will")]
    private partial void LogReleaseFailed(string workerId, Exception exception);

    [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "Could not commit {Count} results of worker {WorkerId}; ending its stream so its leases are requeued")]
    private partial void LogCompleteFailed(string workerId, int count, Exception exception);

    [LoggerMessage(EventId = 207, Level = LogLevel.Warning, Message = "A lease for worker {WorkerId} went without its reply ({Reason}); what it may have leased goes back unsent")]
    private partial void LogLeaseUnanswered(string workerId, string reason);

    [LoggerMessage(EventId = 208, Level = LogLevel.Information, Message = "Put back {Count} tasks leased to worker {WorkerId} that it was never sent")]
    private partial void LogReclaimed(string workerId, int count);

    [LoggerMessage(EventId = 209, Level = LogLevel.Error, Message = "Heartbeat loop of worker {WorkerId} failed")]
    private partial void LogKeepAliveFailed(string workerId, Exception exception);

    [LoggerMessage(EventId = 215, Level = LogLevel.Warning, Message = "Dropped {Count} started or progress notices from worker {WorkerId} for tasks it does not hold (logged once per connection)")]
    private partial void LogForeignEvents(string workerId, int count);
}
