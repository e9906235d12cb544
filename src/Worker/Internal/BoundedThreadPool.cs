using System.Collections.Concurrent;

namespace Cluster.Worker.Internal;

/// <summary>
/// The worker process's own fixed set of threads for synchronous handlers, apart from the .NET
/// shared pool, so CPU-bound handlers cannot starve the gRPC stream or the coroutine loop.
/// </summary>
/// <remarks>
/// Work wakes one idle thread at a time, and a thread that takes work wakes the next only while
/// more is queued: a batch of short tasks runs on the threads already awake instead of waking
/// every thread for a task each, while long tasks still spread to every thread in turn.
/// </remarks>
internal sealed class BoundedThreadPool : IDisposable
{
    private readonly ConcurrentQueue<Action> _work = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread[] _threads;
    // Threads asleep (or about to be) that no one has chosen to wake yet.
    private int _sleeping;
    // Threads chosen and released, not yet back at work.
    private int _waking;
    private volatile bool _disposed;

    public BoundedThreadPool(int threads)
    {
        _threads = new Thread[threads];
        for (var i = 0; i < threads; i++)
        {
            _threads[i] = new Thread(Run) { IsBackground = true, Name = $"cluster-pool-{i}" };
            _threads[i].Start();
        }
    }

    public int Size => _threads.Length;

    public void Enqueue(Action work)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _work.Enqueue(work);
        WakeOne();
    }

    /// <summary>Wakes one sleeping thread, unless one is already on its way (it passes the work on).</summary>
    private void WakeOne()
    {
        if (Volatile.Read(ref _waking) > 0 || !TryClaimSleeper())
        {
            return;
        }
        Interlocked.Increment(ref _waking);
        _wake.Release();
    }

    private bool TryClaimSleeper()
    {
        while (true)
        {
            var sleeping = Volatile.Read(ref _sleeping);
            if (sleeping == 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _sleeping, sleeping - 1, sleeping) == sleeping)
            {
                return true;
            }
        }
    }

    private void Run()
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
                work();
                continue;
            }
            if (_disposed)
            {
                return;
            }
            Interlocked.Increment(ref _sleeping);
            // Queued (or disposed) between the look above and going to sleep: stay awake, unless
            // another thread has chosen this one already; then its wake-up is on the way.
            if ((!_work.IsEmpty || _disposed) && TryClaimSleeper())
            {
                continue;
            }
            _wake.Wait();
            Interlocked.Decrement(ref _waking);
        }
    }

    /// <summary>Takes no more work; the threads finish what is queued, then end.</summary>
    public void Dispose()
    {
        _disposed = true;
        var sleeping = Interlocked.Exchange(ref _sleeping, 0);
        if (sleeping > 0)
        {
            Interlocked.Add(ref _waking, sleeping);
            _wake.Release(sleeping);
        }
    }
}
