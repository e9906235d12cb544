using System.Collections.Concurrent;

namespace Cluster.Worker.Internal;

/// <summary>
/// The worker process's own fixed set of threads for synchronous handlers, apart from the .NET
/// shared pool, so CPU-bound handlers cannot starve the gRPC stream or the coroutine loop.
/// </summary>
internal sealed class BoundedThreadPool : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread[] _threads;

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

    public void Enqueue(Action work) => _work.Add(work);

    private void Run()
    {
        ExecutorThread.Mark(Executor.ThreadPool);
        foreach (var work in _work.GetConsumingEnumerable())
        {
            work();
        }
    }

    public void Dispose()
    {
        _work.CompleteAdding();
    }
}
