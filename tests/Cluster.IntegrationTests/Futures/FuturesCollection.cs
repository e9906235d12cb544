using System.Collections.Concurrent;
using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Microsoft.Extensions.Logging;

namespace Cluster.IntegrationTests.Futures;

/// <summary>
/// Every test of the futures contract shares one real cluster (coordinator with the embedded
/// store, a worker daemon with two worker processes): starting one costs seconds.
/// </summary>
[CollectionDefinition("futures")]
public sealed class FuturesCollection : ICollectionFixture<EmbeddedCluster>;

/// <summary>A representative part of the futures contract again, on a real Redis Cluster of three masters.</summary>
[CollectionDefinition("futures-redis-cluster")]
public sealed class RedisClusterFuturesCollection : ICollectionFixture<RedisClusterModeCluster>;

/// <summary>
/// One executor for one test, and the futures the test holds in a state on purpose (pending
/// forever, running a long sleep): those are cancelled, with interrupt, before the executor shuts
/// down, since shutting down waits for every future as concurrent.futures' shutdown(wait=True) does.
/// </summary>
internal sealed class FutureScope : IAsyncDisposable
{
    private readonly ConcurrentQueue<ClusterFuture> _held = new();
    private readonly ConcurrentQueue<string> _heldIds = new();
    private readonly ClusterFixture _cluster;

    public FutureScope(ClusterFixture cluster, ClusterExecutorOptions? options = null)
    {
        cluster.Require();
        _cluster = cluster;
        Executor = new ClusterExecutor(cluster.Address.ToString(), options);
    }

    public ClusterExecutor Executor { get; }

    /// <summary>A task name that no worker handles: a task of that name waits in its queue.</summary>
    public static string UnhandledName() => "nobody_" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A future that stays Pending until the test (or the scope) cancels it.</summary>
    public ClusterFuture<int> Pending() => Hold(Executor.Submit<int>(UnhandledName()));

    /// <summary>A future that is Running: a 30 s sleep on a coroutine loop, interrupted at the end.</summary>
    public Task<ClusterFuture<double>> RunningSleepAsync() => RunningAsync(Executor.Submit<double>("sleep", 30.0));

    /// <summary>A queue name of its own, for a gate (<see cref="SubmitGated"/>).</summary>
    public static string NewGate() => "gate_" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>
    /// A task that runs until the test opens its gate (<see cref="OpenGateAsync"/>): a worker's
    /// <c>queue.consume</c> of one item from the queue <paramref name="gate"/>, which answers that item.
    /// No sleep whose end a slow machine could reach before the test looks.
    /// </summary>
    public static ClusterFuture<long> SubmitGated(ClusterExecutor executor, string gate) => executor.Submit<long>("queue.consume", gate, 1);

    /// <summary>Puts <paramref name="value"/> into the queue <paramref name="gate"/> through <paramref name="executor"/>: the gated task answers it.</summary>
    public static async Task OpenGateAsync(ClusterExecutor executor, string gate, long value)
    {
        using var items = executor.GetQueue<long>(gate);
        await items.PutAsync(value).WithTimeout();
    }

    /// <summary>A future held Running until the test opens <paramref name="gate"/> (<see cref="SubmitGated"/>).</summary>
    public Task<ClusterFuture<long>> RunningUntilPutAsync(string gate) => RunningAsync(SubmitGated(Executor, gate));

    /// <summary>Holds <paramref name="future"/> and waits until the coordinator has said it started.</summary>
    public async Task<ClusterFuture<T>> RunningAsync<T>(ClusterFuture<T> future)
    {
        _held.Enqueue(future);
        await TaskTimeouts.Eventually(() => Task.FromResult(future.Running || future.Done), $"{future} is running");
        Assert.Equal(FutureState.Running, future.State);
        return future;
    }

    /// <summary>A future already finished with a result (add: <paramref name="a"/> + <paramref name="b"/>).</summary>
    public async Task<ClusterFuture<long>> SucceededAsync(long a = 20, long b = 22)
    {
        var future = Executor.Submit<long>("add", a, b);
        await future.WhenDone().WithTimeout();
        Assert.Equal(FutureState.Finished, future.State);
        return future;
    }

    /// <summary>A future already finished with an exception (fail: InvalidOperationException).</summary>
    public async Task<ClusterFuture<int>> FailedAsync(string message = "boom")
    {
        var future = Executor.Submit<int>("fail", message);
        await future.WhenDone().WithTimeout();
        Assert.Equal(FutureState.Finished, future.State);
        return future;
    }

    /// <summary>A future already cancelled (it was queued, so it never ran).</summary>
    public async Task<ClusterFuture<int>> CancelledAsync()
    {
        var future = Executor.Submit<int>(UnhandledName());
        Assert.True(await future.CancelAsync().WithTimeout());
        Assert.Equal(FutureState.Cancelled, future.State);
        return future;
    }

    public T Hold<T>(T future) where T : ClusterFuture
    {
        _held.Enqueue(future);
        return future;
    }

    /// <summary>
    /// For futures the test cannot reach (those inside a map): the SDK names tasks
    /// "&lt;prefix&gt;.&lt;sequence&gt;", so the first <paramref name="count"/> tasks of this
    /// executor are cancelled, with interrupt, over the raw Cancel call at the end.
    /// </summary>
    public void HoldFirstSubmitted(int count)
    {
        for (var i = 1; i <= count; i++)
        {
            _heldIds.Enqueue($"{Executor.TaskIdPrefix}.{i}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var future in _held)
        {
            if (!future.Done)
            {
                await future.CancelAsync(interrupt: true).WithTimeout();
            }
        }
        if (!_heldIds.IsEmpty)
        {
            // A task may still be on its way to the store: cancel again until the executor holds nothing.
            await TaskTimeouts.Eventually(async () =>
            {
                var request = new CancelRequest { Session = Executor.SessionId, Interrupt = true };
                request.TaskIds.AddRange(_heldIds);
                await _cluster.Tasks.CancelAsync(request).ResponseAsync.WithTimeout();
                return Executor.PendingCount == 0;
            }, "the tasks held by id are cancelled", TimeSpan.FromSeconds(20));
        }
        try
        {
            await Executor.ShutdownAsync(wait: true).WithTimeout(TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException)
        {
            // A future the test left pending: cancel what is queued so nothing outlives the test, and say so.
            var left = Executor.PendingCount;
            await Executor.ShutdownAsync(wait: false, cancelFutures: true).WithTimeout();
            throw new TimeoutException($"The executor still held {left} unfinished futures 20 s after the test ended.");
        }
    }
}

internal static class FutureTimeouts
{
    /// <summary>Awaits a future's outcome with the default deadline of an await.</summary>
    public static Task<T> WithTimeout<T>(this ClusterFuture<T> future, TimeSpan? timeout = null) => future.AsTask().WithTimeout(timeout);
}

/// <summary>Keeps what the SDK logs, to check that a failing callback is reported.</summary>
internal sealed class LogCollector : ILoggerFactory
{
    public ConcurrentQueue<(LogLevel Level, EventId Id, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(LogCollector owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((logLevel, eventId, formatter(state, exception), exception));
    }
}
