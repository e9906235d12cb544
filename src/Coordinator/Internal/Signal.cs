namespace Cluster.Coordinator.Internal;

/// <summary>
/// An auto-reset wake-up for one waiting loop. The loop calls <see cref="Reset"/> before it looks
/// for work, so a <see cref="Set"/> that lands while it works is never lost.
/// </summary>
internal sealed class Signal
{
    private TaskCompletionSource _source = new();

    public void Set() => Volatile.Read(ref _source).TrySetResult();

    /// <summary>Whether it was set since the last <see cref="Reset"/>.</summary>
    public bool IsSet => Volatile.Read(ref _source).Task.IsCompleted;

    public void Reset()
    {
        var current = Volatile.Read(ref _source);
        if (current.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _source, new TaskCompletionSource(), current);
        }
    }

    /// <summary>Waits for a <see cref="Set"/>, or for the safety interval to pass; true when set.</summary>
    public async Task<bool> WaitAsync(TimeSpan safetyInterval, CancellationToken cancellationToken)
    {
        try
        {
            await Volatile.Read(ref _source).Task.WaitAsync(safetyInterval, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
