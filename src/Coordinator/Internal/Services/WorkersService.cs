using Cluster.Contracts;
using System.Diagnostics;
using System.Threading.Channels;
using Cluster.Coordinator.Internal.Store;
using Cluster.Protocol.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Services;

/// <summary>
/// One bidirectional stream per worker process: hello, credits, heartbeats and results in;
/// assignments and cancel requests out. When the stream breaks, the worker's leases go back to
/// their queues at once.
/// </summary>
internal sealed partial class WorkersService(TaskStore store, Notifier notifier, Reaper reaper, CoordinatorOptions options, ILogger<WorkersService> logger) : Workers.WorkersBase
{
    private const int MaxCompleteBatch = 1024;
    private static readonly TimeSpan SafetyInterval = TimeSpan.FromSeconds(2);

    public override async Task Connect(IAsyncStreamReader<WorkerMessage> requestStream, IServerStreamWriter<CoordinatorMessage> responseStream, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        var hello = requestStream.Current.Hello ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "The first message on a worker stream must carry hello."));
        RequireValid(hello);
        var worker = new WorkerConnection(hello);
        await store.RegisterPoliciesAsync(hello).ConfigureAwait(false);
        await store.HeartbeatAsync(worker.Id, hello).ConfigureAwait(false);
        LogConnected(worker.Id, hello.Host, hello.ProcessId, hello.Handlers.Count);

        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        worker.Attach(done);
        notifier.Add(worker);
        var writer = WriteLoopAsync(worker, responseStream, done.Token);
        var leaser = LeaseLoopAsync(worker, done.Token);
        // Bounded by the worker's credits: it never holds more results than tasks leased to it.
        var results = Channel.CreateUnbounded<TaskResult>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true, AllowSynchronousContinuations = true });
        var completer = CompleteLoopAsync(worker, results.Reader, done);
        try
        {
            worker.Outgoing.Writer.TryWrite(new CoordinatorMessage
            {
                Welcome = new Welcome
                {
                    Coordinator = Environment.MachineName,
                    HeartbeatIntervalMs = (int)options.HeartbeatInterval.TotalMilliseconds,
                    LeaseMs = (int)options.LeaseTime.TotalMilliseconds,
                },
            });
            Apply(worker, requestStream.Current);
            while (await requestStream.MoveNext(done.Token).ConfigureAwait(false))
            {
                var message = requestStream.Current;
                if (message.Events.Count > 0)
                {
                    await store.PublishEventsAsync(message.Events).ConfigureAwait(false);
                }
                foreach (var result in message.Results)
                {
                    HopTrace.Mark("coordinator.result", result.TaskId);
                    results.Writer.TryWrite(result);
                }
                if (message.Released.Count > 0)
                {
                    // Handed back unstarted by a draining worker: not a lost run.
                    await store.ReleaseAsync(worker.Id, [.. worker.ThreadNames, .. worker.CoroutineNames], message.Released).ConfigureAwait(false);
                }
                if (message.Draining)
                {
                    worker.Drain();
                }
                if (message.Heartbeat is not null && !await store.HeartbeatAsync(worker.Id, hello).ConfigureAwait(false))
                {
                    LogReregistered(worker.Id);
                }
                Apply(worker, message);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException || (e is RpcException r && r.StatusCode == StatusCode.Cancelled))
        {
            // The stream broke: the worker is gone or unreachable.
        }
        finally
        {
            notifier.Remove(worker);
            await worker.CloseAsync().ConfigureAwait(false);
            // Results received are committed before the worker's other leases go back to their queues.
            results.Writer.TryComplete();
            await completer.ConfigureAwait(false);
            await done.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(writer, leaser).ConfigureAwait(false);
            await ReleaseAsync(worker).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Commits results in batches: whatever arrived while the previous script ran goes in the next
    /// call. If the store fails, the stream is ended, so the worker reconnects and its leases are
    /// requeued rather than left with a live worker that has finished them.
    /// </summary>
    private async Task CompleteLoopAsync(WorkerConnection worker, ChannelReader<TaskResult> results, CancellationTokenSource connection)
    {
        var batch = new List<TaskResult>();
        while (await results.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxCompleteBatch && results.TryRead(out var result))
            {
                batch.Add(result);
            }
            try
            {
                var outcome = await store.CompleteAsync(worker.Id, batch).ConfigureAwait(false);
                if (outcome.Stale > 0)
                {
                    LogStaleResults(worker.Id, outcome.Stale);
                }
                if (outcome.Retrying > 0)
                {
                    reaper.Wake.Set();
                }
            }
            catch (RedisException e)
            {
                LogCompleteFailed(worker.Id, batch.Count, e);
                await connection.CancelAsync().ConfigureAwait(false);
                while (results.TryRead(out _))
                {
                }
            }
        }
    }

    private static void Apply(WorkerConnection worker, WorkerMessage message) =>
        worker.AddCredits(message.ThreadCredits, message.CoroutineCredits);

    private async Task ReleaseAsync(WorkerConnection worker)
    {
        try
        {
            // The worker vanished: its leased tasks go back to the front of their queues now,
            // not when its lease would have expired.
            var (requeued, dead) = await store.RequeueAsync(worker.Id, gone: true).ConfigureAwait(false);
            LogDisconnected(worker.Id, requeued, dead);
        }
        catch (RedisException e)
        {
            // Lease expiry (the reaper) brings them back instead.
            LogReleaseFailed(worker.Id, e);
        }
    }

    /// <summary>
    /// Leases whenever the worker has credits and its queues may hold tasks: after a ready notice
    /// for its names, or while each lease is filled to what it asked. Credits coming back alone do
    /// not send it to queues it found short of tasks.
    /// </summary>
    private async Task LeaseLoopAsync(WorkerConnection worker, CancellationToken cancellationToken)
    {
        var rotation = 0;
        (ExecutionKind Kind, string[] Names)[] kinds = [(ExecutionKind.ThreadPool, worker.ThreadNames), (ExecutionKind.Coroutine, worker.CoroutineNames)];
        // Per kind, the ready version its queues were last found short at; -1: look again.
        int[] seen = [-1, -1];
        var looked = Stopwatch.GetTimestamp();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                worker.Wake.Reset();
                if (Stopwatch.GetElapsedTime(looked) > SafetyInterval)
                {
                    // Now and then look whatever the notices say, in case one was lost.
                    Array.Fill(seen, -1);
                    looked = Stopwatch.GetTimestamp();
                }
                var version = worker.ReadyVersion;
                var more = false;
                for (var k = 0; k < kinds.Length; k++)
                {
                    if (seen[k] == version)
                    {
                        continue;
                    }
                    var outcome = await LeaseAsync(worker, kinds[k].Names, kinds[k].Kind, rotation).ConfigureAwait(false);
                    seen[k] = outcome switch
                    {
                        LeaseOutcome.Short => version,
                        LeaseOutcome.Filled => -1,
                        _ => seen[k],
                    };
                    more |= outcome == LeaseOutcome.Filled;
                }
                rotation++;
                if (!more)
                {
                    await worker.Wake.WaitAsync(SafetyInterval, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The lease may have been stored without its reply: end the stream, so the worker's
            // leases go back to their queues and it connects again.
            LogLeaseLoopFailed(worker.Id, e);
            worker.Abort();
        }
    }

    private enum LeaseOutcome
    {
        /// <summary>Nothing asked: no credits, no names of this kind, or draining.</summary>
        NotAsked,
        /// <summary>Fewer tasks than asked: the queues are empty until the next ready notice.</summary>
        Short,
        /// <summary>As many as asked: there may be more.</summary>
        Filled,
    }

    private async Task<LeaseOutcome> LeaseAsync(WorkerConnection worker, string[] names, ExecutionKind kind, int rotation)
    {
        if (names.Length == 0 || worker.Draining)
        {
            return LeaseOutcome.NotAsked;
        }
        var want = worker.Reserve(kind, WorkerConnection.MaxLeaseBatch);
        if (want == 0)
        {
            return LeaseOutcome.NotAsked;
        }
        List<Assignment> leased = [];
        try
        {
            leased = await store.LeaseAsync(worker.Id, names, want, rotation).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.Contains("NOWORKER", StringComparison.Ordinal))
        {
            // Reaped while alive (e.g. the store was away): register again, then lease.
            await store.HeartbeatAsync(worker.Id, worker.Hello).ConfigureAwait(false);
            return LeaseOutcome.Filled;
        }
        finally
        {
            worker.Assign(leased, kind, want);
        }
        return leased.Count < want ? LeaseOutcome.Short : LeaseOutcome.Filled;
    }

    private static async Task WriteLoopAsync(WorkerConnection worker, IServerStreamWriter<CoordinatorMessage> stream, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in worker.Outgoing.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
        }
    }

    private static void RequireValid(Hello hello)
    {
        var problem = Validation.Identifier("worker id", hello.WorkerId);
        if (problem is null && hello.Handlers.Count == 0)
        {
            problem = "hello names no task handlers.";
        }
        foreach (var handler in hello.Handlers)
        {
            problem ??= Validation.Identifier("task name", handler.Name) ?? Policies.Problem(handler.Policy);
            if (problem is null && handler.Kind == ExecutionKind.Unspecified)
            {
                problem = $"task '{handler.Name}' has no execution kind.";
            }
        }
        if (problem is not null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, problem));
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Worker {WorkerId} connected from {Host} (pid {ProcessId}) with {HandlerCount} task names")]
    private partial void LogConnected(string workerId, string host, int processId, int handlerCount);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Worker {WorkerId} disconnected; {Requeued} leased tasks requeued, {DeadLettered} dead-lettered")]
    private partial void LogDisconnected(string workerId, int requeued, int deadLettered);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Dropped {Stale} stale results from worker {WorkerId}: their lease had moved on")]
    private partial void LogStaleResults(string workerId, int stale);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Worker {WorkerId} had been reaped while connected; registered again")]
    private partial void LogReregistered(string workerId);

    [LoggerMessage(EventId = 204, Level = LogLevel.Error, Message = "Lease loop of worker {WorkerId} failed")]
    private partial void LogLeaseLoopFailed(string workerId, Exception exception);

    [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "Could not commit {Count} results of worker {WorkerId}; ending its stream so its leases are requeued")]
    private partial void LogCompleteFailed(string workerId, int count, Exception exception);

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "Could not requeue the leases of worker {WorkerId}; lease expiry will")]
    private partial void LogReleaseFailed(string workerId, Exception exception);
}
