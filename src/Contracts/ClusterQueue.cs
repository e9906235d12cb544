using System.Collections.Concurrent;
using System.Text.Json;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Cluster.Contracts;

/// <summary>
/// A named FIFO queue in the cluster's store that any process of the same identity shares —
/// clients and task handlers on any host — with the semantics of Python's <c>queue.Queue</c>:
/// <see cref="Put"/> / <see cref="Get"/> block (a bounded queue makes producers wait), the
/// <c>_nowait</c> forms are <see cref="TryPut"/> / <see cref="TryGet"/>, and <see cref="TaskDone"/>
/// with <see cref="Join()"/> count unfinished items. Items travel as JSON (<see cref="ClusterJson.Options"/>)
/// and are durable in the store once a put returns. A waiting call waits in the coordinator, which
/// wakes it when the queue changes: nothing polls. Get one from <c>ClusterExecutor.GetQueue</c>, or
/// in a task handler from <c>TaskContext.GetQueue</c>.
/// </summary>
/// <typeparam name="T">The type of the items (as JSON).</typeparam>
public sealed class ClusterQueue<T> : IDisposable
{
    private readonly Func<CallInvoker> _invoker;
    private readonly ClusterQueueOptions _options;
    private readonly long _leaseMs;
    // With AtLeastOnce: the receipts of the items this object took and has not marked done, oldest first.
    private readonly ConcurrentQueue<string> _held = new();
    private readonly Timer? _renewals;
    private int _renewing;

    internal ClusterQueue(Func<CallInvoker> invoker, string name, ClusterQueueOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _invoker = invoker;
        Name = name;
        _options = new ClusterQueueOptions { MaxSize = options.MaxSize, AtLeastOnce = options.AtLeastOnce, LeaseDuration = options.LeaseDuration };
        if (_options.AtLeastOnce)
        {
            _leaseMs = (long)_options.LeaseDuration.TotalMilliseconds;
            var every = _options.LeaseDuration / 3;
            _renewals = new Timer(_ => _ = RenewAsync(), null, every, every);
        }
    }

    /// <summary>The queue's name (its identity's own: another identity naming it reaches another queue).</summary>
    public string Name { get; }

    /// <summary>The bound this object puts under (0: none).</summary>
    public int MaxSize => _options.MaxSize;

    /// <summary>True when taken items are held under a lease until <see cref="TaskDone"/> (see <see cref="ClusterQueueOptions.AtLeastOnce"/>).</summary>
    public bool AtLeastOnce => _options.AtLeastOnce;

    /// <summary>The items in the queue now (Python's <c>qsize()</c>): approximate, as others put and take meanwhile. Items taken and held are not counted.</summary>
    public int Count => Wait(CountAsync());

    /// <summary>
    /// Puts <paramref name="item"/> at the end. On a full queue, waits for room when <paramref name="block"/>
    /// (for at most <paramref name="timeout"/> when given), else throws at once.
    /// </summary>
    /// <param name="item">The item.</param>
    /// <param name="block">Wait for room on a full queue. Default: true.</param>
    /// <param name="timeout">The longest wait; null: as long as it takes.</param>
    /// <exception cref="QueueFullException">The queue stayed full.</exception>
    /// <exception cref="ArgumentException">The item is over the coordinator's payload limit, or the timeout is negative.</exception>
    public void Put(T item, bool block = true, TimeSpan? timeout = null) => Wait(PutCoreAsync(item, block, timeout, default));

    /// <summary>Puts <paramref name="item"/> at the end, waiting for room on a full queue (for at most <paramref name="timeout"/> when given).</summary>
    /// <param name="item">The item.</param>
    /// <param name="timeout">The longest wait; null: as long as it takes.</param>
    /// <param name="cancellationToken">Stops waiting; the item is then not added.</param>
    /// <exception cref="QueueFullException">The queue stayed full past the timeout.</exception>
    public Task PutAsync(T item, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        PutCoreAsync(item, true, timeout, cancellationToken);

    /// <summary>Puts <paramref name="item"/> only if there is room now (Python's <c>put_nowait</c>, without the exception).</summary>
    /// <param name="item">The item.</param>
    /// <returns>False when the queue is full.</returns>
    public bool TryPut(T item)
    {
        try
        {
            Put(item, block: false);
            return true;
        }
        catch (QueueFullException)
        {
            return false;
        }
    }

    /// <summary>
    /// Takes the oldest item. On an empty queue, waits for one when <paramref name="block"/> (for at
    /// most <paramref name="timeout"/> when given), else throws at once.
    /// </summary>
    /// <param name="block">Wait for an item on an empty queue. Default: true.</param>
    /// <param name="timeout">The longest wait; null: as long as it takes.</param>
    /// <returns>The item.</returns>
    /// <exception cref="QueueEmptyException">The queue stayed empty.</exception>
    public T Get(bool block = true, TimeSpan? timeout = null) => Wait(GetCoreAsync(block, timeout, default));

    /// <summary>Takes the oldest item, waiting for one on an empty queue (for at most <paramref name="timeout"/> when given).</summary>
    /// <param name="timeout">The longest wait; null: as long as it takes.</param>
    /// <param name="cancellationToken">Stops waiting; nothing is then taken.</param>
    /// <returns>The item.</returns>
    /// <exception cref="QueueEmptyException">The queue stayed empty past the timeout.</exception>
    public Task<T> GetAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        GetCoreAsync(true, timeout, cancellationToken);

    /// <summary>Takes the oldest item if there is one now (Python's <c>get_nowait</c>, without the exception).</summary>
    /// <param name="item">The item taken; default when none.</param>
    /// <returns>False when the queue is empty.</returns>
    public bool TryGet(out T item)
    {
        try
        {
            item = Get(block: false);
            return true;
        }
        catch (QueueEmptyException)
        {
            item = default!;
            return false;
        }
    }

    /// <summary>
    /// Marks one item done (Python's <c>task_done()</c>): the queue's unfinished count falls by one,
    /// and <see cref="Join()"/> returns once it is 0. With <see cref="AtLeastOnce"/>, acknowledges the
    /// oldest item this object took and has not marked done: the store forgets it. (One whose lease
    /// ran out went back to the queue for another consumer, and is not counted here.)
    /// </summary>
    /// <exception cref="InvalidOperationException">Called more times than items were put (or, with <see cref="AtLeastOnce"/>, than this object took).</exception>
    public void TaskDone() => Wait(TaskDoneAsync());

    /// <inheritdoc cref="TaskDone"/>
    /// <param name="cancellationToken">Stops waiting for the answer (the coordinator may still count it).</param>
    public async Task TaskDoneAsync(CancellationToken cancellationToken = default)
    {
        var request = new ItemQueueTaskDoneRequest { Queue = Name };
        if (AtLeastOnce)
        {
            if (!_held.TryDequeue(out var receipt))
            {
                throw new InvalidOperationException($"TaskDone() called more times than items this object took from queue '{Name}' (at least once: each marks one taken item done).");
            }
            request.Receipt = receipt;
        }
        await Call(c => c.TaskDoneAsync(request, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
    }

    /// <summary>Waits until every item put has been marked done (Python's <c>join()</c>).</summary>
    public void Join() => Wait(JoinAsync());

    /// <summary>Waits until every item put has been marked done, for at most <paramref name="timeout"/>.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <returns>False when items were still unfinished at the timeout.</returns>
    public bool Join(TimeSpan timeout) => Wait(JoinCoreAsync(timeout, default));

    /// <summary>Waits until every item put has been marked done (Python's <c>join()</c>).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task JoinAsync(CancellationToken cancellationToken = default) => JoinCoreAsync(null, cancellationToken);

    /// <summary>The items in the queue now (Python's <c>qsize()</c>); held items are not counted.</summary>
    /// <param name="cancellationToken">Stops waiting for the answer.</param>
    /// <returns>The count.</returns>
    public async Task<int> CountAsync(CancellationToken cancellationToken = default)
    {
        var reply = await Call(c => c.InfoAsync(new ItemQueueInfoRequest { Queue = Name }, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        return (int)Math.Min(int.MaxValue, reply.Count);
    }

    /// <summary>Stops renewing the leases of held items (with <see cref="AtLeastOnce"/>): those not marked done go back to the queue when their leases run out.</summary>
    public void Dispose() => _renewals?.Dispose();

    private async Task PutCoreAsync(T item, bool block, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var request = new ItemQueuePutRequest
        {
            Queue = Name,
            Item = UnsafeByteOperations.UnsafeWrap(JsonSerializer.SerializeToUtf8Bytes(item, ClusterJson.Options)),
            MaxSize = MaxSize,
            Block = block,
            TimeoutMs = TimeoutMs(timeout),
        };
        var reply = await Call(c => c.PutAsync(request, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        if (reply.Full)
        {
            throw new QueueFullException($"Queue '{Name}' is full ({MaxSize} items){(block ? $" after waiting {timeout}" : string.Empty)}.");
        }
    }

    private async Task<T> GetCoreAsync(bool block, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var request = new ItemQueueGetRequest { Queue = Name, Block = block, TimeoutMs = TimeoutMs(timeout), LeaseMs = _leaseMs };
        var reply = await Call(c => c.GetAsync(request, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        if (reply.Empty)
        {
            throw new QueueEmptyException($"Queue '{Name}' is empty{(block ? $" after waiting {timeout}" : string.Empty)}.");
        }
        if (reply.Receipt.Length > 0)
        {
            // Held until TaskDone: renewed while this process lives.
            _held.Enqueue(reply.Receipt);
        }
        return JsonSerializer.Deserialize<T>(reply.Item.Span, ClusterJson.Options)!;
    }

    private async Task<bool> JoinCoreAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var request = new ItemQueueInfoRequest { Queue = Name, Wait = true, TimeoutMs = TimeoutMs(timeout) };
        var reply = await Call(c => c.InfoAsync(request, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        return reply.Joined;
    }

    /// <summary>Extends the leases of the held items; one renewal at a time.</summary>
    private async Task RenewAsync()
    {
        if (_held.IsEmpty || Interlocked.Exchange(ref _renewing, 1) == 1)
        {
            return;
        }
        try
        {
            const int PerCall = 1000;
            var receipts = _held.ToArray();
            for (var i = 0; i < receipts.Length; i += PerCall)
            {
                var request = new ItemQueueRenewRequest { Queue = Name, LeaseMs = _leaseMs };
                request.Receipts.AddRange(receipts.Skip(i).Take(PerCall));
                await Call(c => c.RenewAsync(request).ResponseAsync).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is RpcException or ObjectDisposedException or InvalidOperationException)
        {
            // The next tick tries again; a lease that runs out meanwhile gives its item back (at least once).
        }
        finally
        {
            Volatile.Write(ref _renewing, 0);
        }
    }

    private static long TimeoutMs(TimeSpan? timeout)
    {
        if (timeout is not { } t)
        {
            return 0;
        }
        if (t < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), t, "A timeout must not be negative.");
        }
        return Math.Max(1, (long)Math.Ceiling(t.TotalMilliseconds));
    }

    /// <summary>One call to the coordinator; its refusals become the SDK's exceptions.</summary>
    private async Task<TReply> Call<TReply>(Func<ItemQueues.ItemQueuesClient, Task<TReply>> call)
    {
        try
        {
            return await call(new ItemQueues.ItemQueuesClient(_invoker())).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.InvalidArgument)
        {
            throw new ArgumentException(e.Status.Detail, e);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
        {
            throw new InvalidOperationException(e.Status.Detail, e);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled)
        {
            throw new OperationCanceledException(e.Status.Detail, e);
        }
    }

    /// <summary>The blocking forms' one wait on their asynchronous call (the contract itself blocks, as Python's).</summary>
    private static void Wait(Task task) => task.GetAwaiter().GetResult();

    private static TResult Wait<TResult>(Task<TResult> task) => task.GetAwaiter().GetResult();
}
