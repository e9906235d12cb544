namespace Cluster.Client.Internal;

/// <summary>
/// The bytes of submits no coordinator has accepted yet, bounded: <see cref="Take"/> blocks the
/// caller while the bound is reached, as <c>queue.put</c> on a full bounded queue, until earlier
/// submits are accepted or done. Nothing is dropped; a single submit larger than the bound goes alone.
/// </summary>
internal sealed class PendingBytes(long limit)
{
    private readonly object _gate = new();
    private long _held;

    public void Take(long bytes)
    {
        lock (_gate)
        {
            while (_held > 0 && _held + bytes > limit)
            {
                Monitor.Wait(_gate);
            }
            _held += bytes;
        }
    }

    public void Return(long bytes)
    {
        lock (_gate)
        {
            _held -= bytes;
            Monitor.PulseAll(_gate);
        }
    }
}
