namespace Cluster.Coordinator.Internal.Security;

/// <summary>What one identity holds open on this coordinator: streams, and the sessions it streams completions of.</summary>
internal sealed class IdentityUsage
{
    private readonly Dictionary<string, int> _sessions = new(StringComparer.Ordinal);

    /// <summary>Completion streams and worker connections.</summary>
    public StreamCount Streams { get; } = new();

    /// <summary>Submit streams, counted apart: one never takes the place a completion stream needs.</summary>
    public StreamCount SubmitStreams { get; } = new();

    /// <summary>Adds a completion stream of the session, unless it is a new session past <paramref name="limit"/>.</summary>
    public bool TryOpenSession(string session, int limit, out int open)
    {
        lock (_sessions)
        {
            open = _sessions.Count;
            var streams = _sessions.GetValueOrDefault(session);
            if (streams == 0 && open >= limit)
            {
                return false;
            }
            _sessions[session] = streams + 1;
            return true;
        }
    }

    public void CloseSession(string session)
    {
        lock (_sessions)
        {
            if (_sessions.TryGetValue(session, out var streams) && streams > 1)
            {
                _sessions[session] = streams - 1;
            }
            else
            {
                _sessions.Remove(session);
            }
        }
    }
}

/// <summary>Streams of one kind an identity holds open.</summary>
internal sealed class StreamCount
{
    private int _open;

    /// <summary>Takes a stream unless <paramref name="limit"/> are open; returns how many are.</summary>
    public bool TryOpen(int limit, out int open)
    {
        while (true)
        {
            open = Volatile.Read(ref _open);
            if (open >= limit)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _open, open + 1, open) == open)
            {
                return true;
            }
        }
    }

    public void Close() => Interlocked.Decrement(ref _open);
}
