namespace Cluster.Coordinator.Internal.Security;

/// <summary>What one identity holds open on this coordinator: streams, and the sessions it streams completions of.</summary>
internal sealed class IdentityUsage
{
    private readonly Dictionary<string, int> _sessions = new(StringComparer.Ordinal);
    private int _streams;

    /// <summary>Takes a stream unless <paramref name="limit"/> are open; returns how many are.</summary>
    public bool TryOpenStream(int limit, out int open)
    {
        while (true)
        {
            open = Volatile.Read(ref _streams);
            if (open >= limit)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _streams, open + 1, open) == open)
            {
                return true;
            }
        }
    }

    public void CloseStream() => Interlocked.Decrement(ref _streams);

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
