using System.Diagnostics;
using Cluster.Coordinator.Internal.Queues;
using Cluster.Coordinator.Internal.Security;
using Cluster.Coordinator.Internal.Store;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Cluster.Coordinator.Internal.Services;

/// <summary>
/// Named FIFO queues of items shared by any processes of one identity (<c>ItemQueues</c>), with
/// Python's <c>queue.Queue</c> semantics. A call that must wait is parked here on a signal
/// (<see cref="ItemQueueWaiters"/>) and tries once more each time a notice says the queue changed
/// in the way it waits for; a call that ends early (its deadline, a broken connection) unparks and
/// leaves nothing behind.
/// </summary>
internal sealed class ItemQueuesService(ItemQueueStore store, ItemQueueWaiters waiters, CoordinatorOptions options) : ItemQueues.ItemQueuesBase
{
    // A parked call tries again this often without a notice: a net under the notices, not polling.
    private static readonly TimeSpan SafetyInterval = TimeSpan.FromSeconds(30);
    // A lease shorter than this would run out between a consumer's renewals; longer, a day.
    private const long MinLeaseMs = 100;
    private const long MaxLeaseMs = 86_400_000;

    public override async Task<ItemQueuePutReply> Put(ItemQueuePutRequest request, ServerCallContext context)
    {
        var queue = QueueOf(request.Queue, context);
        if (request.Item.Length > options.MaxPayloadBytes)
        {
            throw Invalid($"an item of queue '{request.Queue}' is {request.Item.Length} bytes; the limit is {options.MaxPayloadBytes} (--max-payload).");
        }
        if (request.MaxSize < 0)
        {
            throw Invalid($"max_size of queue '{request.Queue}' is {request.MaxSize}; give 0 (unbounded) or more.");
        }
        var item = request.Item.Memory;
        var added = await ParkAsync(ItemQueueWaiters.Putter, queue, request.Block, request.TimeoutMs, async () =>
        {
            var done = await store.PutAsync(queue, item, request.MaxSize).ConfigureAwait(false);
            return (done, 0L, done);
        }, context.CancellationToken).ConfigureAwait(false);
        return new ItemQueuePutReply { Full = !added };
    }

    public override async Task<ItemQueueGetReply> Get(ItemQueueGetRequest request, ServerCallContext context)
    {
        var queue = QueueOf(request.Queue, context);
        if (request.LeaseMs != 0 && request.LeaseMs is < MinLeaseMs or > MaxLeaseMs)
        {
            throw Invalid($"lease_ms of queue '{request.Queue}' is {request.LeaseMs}; give 0 (no lease) or {MinLeaseMs} to {MaxLeaseMs}.");
        }
        var taken = await ParkAsync(ItemQueueWaiters.Getter, queue, request.Block, request.TimeoutMs, async () =>
        {
            var item = await store.GetAsync(queue, request.LeaseMs).ConfigureAwait(false);
            // An empty queue with held items: try again when the first lease runs out.
            return (item.Found, item.NextExpiryMs, item);
        }, context.CancellationToken).ConfigureAwait(false);
        return taken.Found
            ? new ItemQueueGetReply { Item = UnsafeByteOperations.UnsafeWrap(taken.Item), Receipt = taken.Receipt, Redelivered = taken.Redelivered }
            : new ItemQueueGetReply { Empty = true };
    }

    public override async Task<ItemQueueTaskDoneReply> TaskDone(ItemQueueTaskDoneRequest request, ServerCallContext context)
    {
        var queue = QueueOf(request.Queue, context);
        if (request.Receipt.Length > Validation.MaxIdentifierLength)
        {
            throw Invalid($"receipt of queue '{request.Queue}' is {request.Receipt.Length} characters long; a receipt is one a get answered.");
        }
        return await store.TaskDoneAsync(queue, request.Receipt).ConfigureAwait(false) switch
        {
            TaskDoneOutcome.Lost => new ItemQueueTaskDoneReply { Lost = true },
            TaskDoneOutcome.NoneUnfinished => throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"task_done() called more times than items were put in queue '{request.Queue}': it has no unfinished item.")),
            _ => new ItemQueueTaskDoneReply(),
        };
    }

    public override async Task<ItemQueueRenewReply> Renew(ItemQueueRenewRequest request, ServerCallContext context)
    {
        var queue = QueueOf(request.Queue, context);
        if (request.LeaseMs is < MinLeaseMs or > MaxLeaseMs)
        {
            throw Invalid($"lease_ms of queue '{request.Queue}' is {request.LeaseMs}; give {MinLeaseMs} to {MaxLeaseMs}.");
        }
        if (request.Receipts.Count > options.MaxBatchTasks)
        {
            throw Invalid($"a renew names {request.Receipts.Count} receipts; the limit is {options.MaxBatchTasks} per call (--max-batch).");
        }
        var reply = new ItemQueueRenewReply();
        if (request.Receipts.Count > 0)
        {
            reply.Lost.AddRange(await store.RenewAsync(queue, request.LeaseMs, request.Receipts).ConfigureAwait(false));
        }
        return reply;
    }

    public override async Task<ItemQueueInfoReply> Info(ItemQueueInfoRequest request, ServerCallContext context)
    {
        var queue = QueueOf(request.Queue, context);
        var info = await ParkAsync(ItemQueueWaiters.Joiner, queue, request.Wait, request.TimeoutMs, async () =>
        {
            var now = await store.InfoAsync(queue, request.Wait).ConfigureAwait(false);
            return (now.Unfinished == 0, 0L, now);
        }, context.CancellationToken).ConfigureAwait(false);
        return new ItemQueueInfoReply { Count = info.Count, Unfinished = info.Unfinished, Held = info.Held, Joined = request.Wait && info.Unfinished == 0 };
    }

    /// <summary>
    /// Runs <paramref name="attempt"/>; while it is not done and the call may wait, parks until a
    /// notice of <paramref name="kind"/> for the queue (or the retry time the attempt gave, or the
    /// safety interval) and tries again. The call is parked before each attempt, so a notice
    /// published after the attempt's script ran is never missed. Answers the last attempt's value.
    /// </summary>
    private async Task<T> ParkAsync<T>(char kind, string queue, bool block, long timeoutMs, Func<Task<(bool Done, long RetryMs, T Value)>> attempt, CancellationToken cancellationToken)
    {
        if (!block)
        {
            return (await attempt().ConfigureAwait(false)).Value;
        }
        var started = Stopwatch.GetTimestamp();
        var signal = new Signal();
        using var parked = waiters.Park(kind, queue, signal);
        while (true)
        {
            signal.Reset();
            var (done, retryMs, value) = await attempt().ConfigureAwait(false);
            if (done)
            {
                return value;
            }
            var wait = SafetyInterval;
            if (timeoutMs > 0)
            {
                var left = TimeSpan.FromMilliseconds(timeoutMs) - Stopwatch.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                {
                    return value;
                }
                wait = left < wait ? left : wait;
            }
            if (retryMs > 0 && TimeSpan.FromMilliseconds(retryMs) < wait)
            {
                wait = TimeSpan.FromMilliseconds(retryMs);
            }
            // Parked: woken by a notice that the queue changed, not by reading the store.
            await signal.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The queue's name as the store keeps it: in the caller's namespace.</summary>
    private static string QueueOf(string name, ServerCallContext context)
    {
        if (Validation.Identifier("queue name", name) is { } problem)
        {
            throw Invalid(problem);
        }
        return Scope.Of(context).In(name);
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
