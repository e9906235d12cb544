using Cluster.Worker;
using Cluster.Worker.Internal;

namespace Cluster.Worker.Tests;

public sealed class ExecutorTests
{
    [Fact]
    public async Task CoroutineLoop_RunsEveryContinuationOnItsOneThread()
    {
        using var loop = new CoroutineLoop();
        var threads = new System.Collections.Concurrent.ConcurrentBag<int>();
        var executors = new System.Collections.Concurrent.ConcurrentBag<Executor>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var remaining = 50;

        for (var i = 0; i < 50; i++)
        {
            loop.Start(async () =>
            {
                for (var step = 0; step < 3; step++)
                {
                    threads.Add(Environment.CurrentManagedThreadId);
                    executors.Add(TaskContext.CurrentExecutor);
                    await Task.Delay(1);
                }
                if (Interlocked.Decrement(ref remaining) == 0)
                {
                    done.SetResult();
                }
            });
        }
        await done.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Single(threads.Distinct());
        Assert.All(executors, e => Assert.Equal(Executor.CoroutineLoop, e));
        Assert.Equal(150, threads.Count);
    }

    [Fact]
    public async Task BoundedThreadPool_RunsExactlyItsSizeAtOnce_WhenMoreIsQueued()
    {
        using var pool = new BoundedThreadPool(3);
        var running = 0;
        var peak = 0;
        var gaveUp = 0;
        var finished = new CountdownEvent(20);

        for (var i = 0; i < 20; i++)
        {
            pool.Enqueue(() =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref peak, now);
                // Each task holds its thread until three run at once (or, if that never comes, gives
                // up once for all), then a little longer: a pool that runs fewer than its size leaves
                // the peak below 3; one that runs more lifts it above while the others hold theirs.
                if (Volatile.Read(ref gaveUp) == 0 && !SpinWait.SpinUntil(() => Volatile.Read(ref peak) >= 3, TimeSpan.FromSeconds(10)))
                {
                    Interlocked.Exchange(ref gaveUp, 1);
                }
                Thread.Sleep(20);
                Interlocked.Decrement(ref running);
                finished.Signal();
            });
        }
        await Task.Run(() => finished.Wait(TimeSpan.FromSeconds(60)));

        Assert.Equal(0, finished.CurrentCount);
        Assert.Equal(3, peak);
    }

    [Fact]
    public async Task BoundedThreadPool_RunsWorkQueuedWhileOthersBlock_OnEveryThread()
    {
        using var pool = new BoundedThreadPool(3);
        // Each task blocks until all three run at once: they must be on three threads together,
        // though queued one at a time, each after the previous one started.
        using var allRunning = new Barrier(3);
        var met = new int[3];
        using var started = new SemaphoreSlim(0);
        var finished = new CountdownEvent(3);
        for (var i = 0; i < 3; i++)
        {
            var index = i;
            pool.Enqueue(() =>
            {
                started.Release();
                met[index] = allRunning.SignalAndWait(TimeSpan.FromSeconds(10)) ? 1 : 0;
                finished.Signal();
            });
            Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(10)));
        }
        await Task.Run(() => finished.Wait(TimeSpan.FromSeconds(30)));

        Assert.Equal([1, 1, 1], met);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
