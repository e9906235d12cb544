using System.Collections.Concurrent;

namespace Cluster.Worker.Internal;

/// <summary>
/// The worker process's own fixed set of threads for synchronous handlers, apart from the .NET
/// shared pool, so CPU-bound handlers cannot starve the gRPC stream or the coroutine loop.
/// </summary>
/// <remarks>
/// Work wakes one idle thread at a time — the one that went idle last, whose caches are warm — and
/// a thread that takes work wakes the next only while more is queued: a batch of short tasks runs
/// on the threads already awake instead of waking every thread for a task each, while long tasks
/// still spread to every thread in turn.
/// </remarks>
internal sealed class BoundedThreadPool : IDisposable
{
    // Each item is a callback and its state: a caller with a cached callback queues work without a closure.
    private readonly ConcurrentQueue<(Action<object?> Work, object? State)> _work = new();
    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _wakes;
    private readonly Lock _idleGate = new();
    // Threads asleep, the last to go idle on top; a thread is taken off when chosen to wake.
    private readonly Stack<int> _idle = new();
    // Threads chosen and released, not yet back at work.
    private int _waking;
    private volatile bool _disposed;

    public BoundedThreadPool(int threads)
    {
        _threads = new Thread[threads];
        _wakes = new SemaphoreSlim[threads];
        for (var i = 0; i < threads; i++)
        {
            var index = i;
            _wakes[i] = new SemaphoreSlim(0);
            _threads[i] = new Thread(() => Run(index)) { IsBackground = true, Name = $"cluster-pool-{i}" };
            _threads[i].Start();
        }
    }

    public int Size => _threads.Length;

    public void Enqueue(Action work) => Enqueue(static state => ((Action)state!)(), work);

    /// <summary>Queues <paramref name="work"/>, called with <paramref name="state"/> on one of the pool's threads.</summary>
    public void Enqueue(Action<object?> work, object? state)
    {
        lock (_idleGate)
        {
            // Under the gate: either the threads see this work before they end, or it is refused.
            ObjectDisposedException.ThrowIf(_disposed, this);
            _work.Enqueue((work, state));
        }
        WakeOne();
    }

    /// <summary>Wakes the thread that went idle last, unless one is already on its way (it passes the work on).</summary>
    private void WakeOne()
    {
        if (Volatile.Read(ref _waking) > 0)
        {
            return;
        }
        int chosen;
        lock (_idleGate)
        {
            if (!_idle.TryPop(out chosen))
            {
                return;
            }
            Interlocked.Increment(ref _waking);
        }
        _wakes[chosen].Release();
    }

    private void Run(int index)
    {
        ExecutorThread.Mark(Executor.ThreadPool);
        while (true)
        {
            if (_work.TryDequeue(out var work))
            {
                if (!_work.IsEmpty)
                {
                    WakeOne(); // more than this thread can take now: pass it on
                }
                work.Work(work.State);
                continue;
            }
            lock (_idleGate)
            {
                // Looked at again under the gate: work queued from here on finds this thread idle.
                if (!_work.IsEmpty)
                {
                    continue;
                }
                if (_disposed)
                {
                    return;
                }
                _idle.Push(index);
            }
            _wakes[index].Wait();
            Interlocked.Decrement(ref _waking);
        }
    }

    /// <summary>Takes no more work; the threads finish what is queued, then end.</summary>
    public void Dispose()
    {
        List<int> sleeping;
        lock (_idleGate)
        {
            _disposed = true;
            sleeping = [.. _idle];
            _idle.Clear();
            Interlocked.Add(ref _waking, sleeping.Count);
        }
        foreach (var index in sleeping)
        {
            _wakes[index].Release();
        }
    }
}
