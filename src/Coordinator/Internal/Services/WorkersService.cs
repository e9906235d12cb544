using Cluster.Contracts;
using System.Diagnostics;
using System.Threading.Channels;
using Cluster.Coordinator.Internal.Security;
using Cluster.Coordinator.Internal.Store;
using Cluster.Protocol.V1;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Services;

/// <summary>
/// One bidirectional stream per worker process: hello, credits, heartbeats and results in;
/// assignments, cancel requests and revoked leases out. When the stream breaks, the worker's leases
/// go back to their queues at once. A store that fails is waited for, never charged to the tasks:
/// the worker keeps its leases while results are held until they commit.
/// </summary>
internal sealed partial class WorkersService(TaskStore store, Notifier notifier, Reaper reaper, CoordinatorOptions options, Telemetry.CoordinatorMetrics metrics, ILogger<WorkersService> logger) : Workers.WorkersBase
{
    private const int MaxCompleteBatch = 1024;
    private static readonly TimeSpan SafetyInterval = TimeSpan.FromSeconds(2);
    // How long the revoked message and a final status get to reach a worker that reads slowly.
    private static readonly TimeSpan FinalWriteGrace = TimeSpan.FromSeconds(5);

    public override async Task Connect(IAsyncStreamReader<WorkerMessage> requestStream, IServerStreamWriter<CoordinatorMessage> responseStream, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        try
        {
            if (!await requestStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }
        catch (Exception e) when (MalformedFrames.CallerWentAway(e))
        {
            return; // reset before its hello: nothing was registered
        }
        var first = requestStream.Current;
        var hello = first.Hello ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "The first message on a worker stream must carry hello."));
        if ((HelloRules.Problem(hello) ?? HelloRules.CreditsProblem(first)) is { } problem)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, problem));
        }
        // Only a worker identity gets here (the Workers service needs the role), so only workers announce policies.
        if (WorkerScope.Problem(CallerIdentity.Of(context), hello) is { } refused)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, refused));
        }
        var worker = new WorkerConnection(hello);
        await store.RegisterPoliciesAsync(hello).ConfigureAwait(false);
        if (!await store.RegisterAsync(worker.Id, worker.Token, hello).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"worker id '{worker.Id}' is held by another live connection; each connection says hello under an id of its own."));
        }
        LogConnected(worker.Id, hello.Host, hello.ProcessId, hello.Handlers.Count);

        using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var writing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Store calls that must land even as the stream closes get up to a lease time after it.
        using var closing = new CancellationTokenSource();
        worker.Attach(reading);
        notifier.Add(worker);
        var writer = WriteLoopAsync(worker, responseStream, writing.Token);
        var leaser = LeaseLoopAsync(worker, reading.Token);
        var keeper = KeepAliveLoopAsync(worker, reading.Token);
        // At most one result per task the worker holds (a result for any other is refused), and
        // no more than its capacity wait here: a worker that outruns the store is slowed down.
        var capacity = Math.Max(1, WorkerConnection.ThreadCapacity(hello) + hello.Coroutines);
        var results = Channel.CreateBounded<TaskResult>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, AllowSynchronousContinuations = true });
        var completer = CompleteLoopAsync(worker, results.Reader, closing.Token);
        try
        {
            worker.Send(new CoordinatorMessage
            {
                Welcome = new Welcome
                {
                    Coordinator = Environment.MachineName,
                    HeartbeatIntervalMs = (int)options.HeartbeatInterval.TotalMilliseconds,
                    LeaseMs = (int)options.LeaseTime.TotalMilliseconds,
                    MaxResultBytes = options.MaxResultBytes,
                },
            });
            // The hello grants the first credits: those it sets, else its whole capacity.
            worker.AddCredits(
                first.HasThreadCredits ? first.ThreadCredits : WorkerConnection.ThreadCapacity(hello),
                first.HasCoroutineCredits ? first.CoroutineCredits : hello.Coroutines);
            while (await requestStream.MoveNext(reading.Token).ConfigureAwait(false))
            {
                var message = requestStream.Current;
                if (HelloRules.CreditsProblem(message) is { } bad)
                {
                    worker.End(new Status(StatusCode.InvalidArgument, bad));
                    break;
                }
                if (message.Events.Count > 0)
                {
                    // Only notices of the leases this connection holds, each to its lease's session.
                    var dropped = worker.KeepOwnEvents(message.Events);
                    if (dropped > 0 && worker.CountForeignEvents(dropped))
                    {
                        LogForeignEvents(worker.Id, dropped);
                    }
                    await store.PublishEventsAsync(message.Events).ConfigureAwait(false);
                }
                if (!await AcceptResultsAsync(worker, message, results.Writer, reading.Token).ConfigureAwait(false))
                {
                    break;
                }
                if (message.Draining)
                {
                    // Before the release: the tasks handed back go to the front of their queues, and
                    // the freed capacity must not lease them straight back to this worker.
                    worker.Drain();
                }
                if (message.Released.Count > 0)
                {
                    await ReleaseAsync(worker, message.Released, reading.Token).ConfigureAwait(false);
                }
                if (message.Heartbeat is not null)
                {
                    worker.MarkHeartbeat();
                }
                worker.AddCredits(message.ThreadCredits, message.CoroutineCredits);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException || (e is RpcException r && r.StatusCode == StatusCode.Cancelled))
        {
            // The stream broke (the worker is gone or unreachable), or this coordinator ended it.
        }
        finally
        {
            notifier.Remove(worker);
            await worker.CloseAsync().ConfigureAwait(false);
            // Results received are committed before the worker's other leases go back to their queues.
            results.Writer.TryComplete();
            closing.CancelAfter(options.LeaseTime);
            await completer.ConfigureAwait(false);
            await reading.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(leaser, keeper).ConfigureAwait(false);
            worker.CompleteOutbox();
            if (worker.Ended is null)
            {
                await writing.CancelAsync().ConfigureAwait(false);
            }
            else
            {
                writing.CancelAfter(FinalWriteGrace);
            }
            await writer.ConfigureAwait(false);
            await RequeueAsync(worker, closing.Token).ConfigureAwait(false);
        }
        if (worker.Ended is { } status)
        {
            throw new RpcException(status);
        }
    }

    /// <summary>
    /// Takes the results of one message, each bound for the session of its lease; false (and the
    /// stream ends) when one answers a task this connection does not hold at that attempt.
    /// </summary>
    private static async Task<bool> AcceptResultsAsync(WorkerConnection worker, WorkerMessage message, ChannelWriter<TaskResult> results, CancellationToken cancellationToken)
    {
        foreach (var result in message.Results)
        {
            if (!worker.Answer(result))
            {
                worker.End(new Status(StatusCode.InvalidArgument,
                    $"a result for task '{result.TaskId}' at attempt {result.Attempt}, a lease this connection does not hold (it holds {worker.HeldCount}): a worker answers each task it was sent, once, at the attempt it was sent."));
                return false;
            }
            HopTrace.Mark("coordinator.result", result.TaskId);
            await results.WriteAsync(result, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>Tasks handed back unstarted by a draining worker: not a lost run, and no attempt used.</summary>
    private async Task ReleaseAsync(WorkerConnection worker, IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        var released = worker.Release(ids).Select(r => (r.TaskId, (int?)r.Attempt)).ToList();
        if (released.Count > 0)
        {
            await StoreRetry.RunAsync(() => store.ReleaseAsync(worker.Id, AllNames(worker), released), logger, $"release the tasks of worker {worker.Id}", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Commits results in batches: whatever arrived while the previous script ran goes in the next
    /// call. While the store fails for its own reasons the batch is held and tried again (the
    /// worker keeps its leases meanwhile); a store that refuses the results ends the stream, so the
    /// worker's leases are requeued rather than left with a live worker that has finished them.
    /// </summary>
    private async Task CompleteLoopAsync(WorkerConnection worker, ChannelReader<TaskResult> results, CancellationToken giveUp)
    {
        var batch = new List<TaskResult>();
        while (await results.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxCompleteBatch && results.TryRead(out var result))
            {
                batch.Add(result);
            }
            var leases = metrics.RunsObserved ? new (string Name, long SentAt)[batch.Count] : null;
            var verdicts = string.Empty;
            try
            {
                // acknowledged once the store has the batch: until then it is held here, the tasks still leased
                var outcome = await StoreRetry.RunAsync(() => store.CompleteAsync(worker.Id, batch, leases is null ? null : v => verdicts = v), logger, $"commit the results of worker {worker.Id}", giveUp).ConfigureAwait(false);
                if (outcome.Stale > 0)
                {
                    LogStaleResults(worker.Id, outcome.Stale);
                }
                if (outcome.Retrying > 0)
                {
                    reaper.Wake.Set();
                }
            }
            catch (Exception e) when (e is RedisException or OperationCanceledException)
            {
                LogCompleteFailed(worker.Id, batch.Count, e);
                worker.End(new Status(StatusCode.Unavailable, $"The task store did not take this worker's results ({e.Message}); connect again."));
            }
            finally
            {
                worker.Committed(batch, leases);
            }
            if (leases is not null && verdicts.Length > 0)
            {
                metrics.Committed(batch, leases, verdicts);
            }
        }
    }

    private async Task RequeueAsync(WorkerConnection worker, CancellationToken giveUp)
    {
        try
        {
            // The worker vanished: its leased tasks go back to the front of their queues now, not
            // when its lease would have expired; only while this connection holds the registration.
            var (requeued, dead) = await StoreRetry.RunAsync(() => store.RequeueAsync(worker.Id, gone: true, worker.Token), logger, $"requeue the tasks of worker {worker.Id}", giveUp).ConfigureAwait(false);
            if (requeued >= 0)
            {
                metrics.LostRunsDeadLettered(dead);
                LogDisconnected(worker.Id, requeued, dead);
            }
        }
        catch (Exception e) when (e is RedisException or OperationCanceledException)
        {
            // Lease expiry (the reaper) brings them back instead.
            LogReleaseFailed(worker.Id, e);
        }
    }

    /// <summary>
    /// Renews the worker's registration in the store at each heartbeat; when the heartbeats stop for
    /// longer than a lease, looks whether the store still holds it. When it does not (the worker was
    /// reaped, its tasks requeued), the worker is told which tasks it lost and the stream ends.
    /// </summary>
    private async Task KeepAliveLoopAsync(WorkerConnection worker, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                worker.Heartbeat.Reset();
                var beat = await worker.Heartbeat.WaitAsync(options.HeartbeatInterval, cancellationToken).ConfigureAwait(false);
                if (!beat && worker.SinceHeartbeat < options.LeaseTime)
                {
                    continue;
                }
                var held = await StoreRetry.RunAsync(() => store.HeartbeatAsync(worker.Id, worker.Token, renew: beat, busy: beat ? worker.Busy() : null), logger, $"renew the lease of worker {worker.Id}", cancellationToken).ConfigureAwait(false);
                if (!held)
                {
                    Revoke(worker);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogKeepAliveFailed(worker.Id, e);
            worker.End(new Status(StatusCode.Unavailable, $"The task store failed to renew this worker's lease ({e.Message}); connect again."));
        }
    }

    /// <summary>The store no longer holds the worker's registration: its leases were taken.</summary>
    private void Revoke(WorkerConnection worker)
    {
        var held = worker.HeldCount;
        LogRevoked(worker.Id, held);
        worker.End(new Status(StatusCode.Aborted,
            $"the lease of worker '{worker.Id}' expired (no heartbeat for longer than {options.LeaseTime.TotalMilliseconds:0} ms); its {held} tasks went back to their queues; connect again under a new worker id."),
            revoke: true);
    }

    private static string[] AllNames(WorkerConnection worker) => [.. worker.ThreadNames, .. worker.CoroutineNames];

    private static async Task WriteLoopAsync(WorkerConnection worker, IServerStreamWriter<CoordinatorMessage> stream, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var (message, bytes) in worker.Outbox.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
                worker.MarkWritten(bytes);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
        }
    }
}
