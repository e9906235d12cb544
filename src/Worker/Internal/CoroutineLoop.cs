using System.Collections.Concurrent;

namespace Cluster.Worker.Internal;

/// <summary>
/// One dedicated thread with its own synchronization context: every async handler starts here and
/// every continuation comes back here, so handlers interleave at their awaits like coroutines and
/// share state without locks.
/// </summary>
internal sealed class CoroutineLoop : SynchronizationContext, IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = new();
    private readonly Thread _thread;

    public CoroutineLoop()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "cluster-coroutine-loop" };
        _thread.Start();
    }

    public override void Post(SendOrPostCallback d, object? state) => _queue.Add((d, state));

    public override void Send(SendOrPostCallback d, object? state)
    {
        if (Environment.CurrentManagedThreadId == _thread.ManagedThreadId)
        {
            d(state);
            return;
        }
        using var done = new ManualResetEventSlim();
        Post(_ => { try { d(state); } finally { done.Set(); } }, null);
        done.Wait();
    }

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Starts <paramref name="work"/> on the loop thread.</summary>
    public void Start(Func<Task> work) => Post(static s => _ = ((Func<Task>)s!)(), work);

    private void Run()
    {
        SetSynchronizationContext(this);
        ExecutorThread.Mark(Executor.CoroutineLoop);
        foreach (var (callback, state) in _queue.GetConsumingEnumerable())
        {
            try
            {
                callback(state);
            }
            catch (Exception e)
            {
                // A continuation that throws must not stop every other coroutine.
                Console.Error.WriteLine($"cluster: a continuation on the coroutine loop threw: {e}");
            }
        }
    }

    public void Dispose() => _queue.CompleteAdding();
}
