using System.Collections.Concurrent;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// What this coordinator's submit and complete batches did since the last flush, counted in memory
/// (a few interlocked additions a batch) and written to the store once a second by
/// <see cref="StatsFlush"/> (see <see cref="StatsScript"/>), so every coordinator's dashboard shows
/// the whole cluster. The submit and finish times of sampled tasks (one in 16, by a hash of the id)
/// are this coordinator's clock, in Unix milliseconds. Bounded: past <see cref="MaxSamples"/>
/// samples waiting (the store is away), new ones are not kept.
/// </summary>
internal sealed class ClusterStats
{
    /// <summary>Most sampled tasks held between two flushes, of each kind.</summary>
    public const int MaxSamples = 20_000;

    private readonly ConcurrentDictionary<string, long> _failureTypes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Id, long Ms)> _submitted = new();
    private readonly ConcurrentQueue<(string Id, long Ms)> _finished = new();
    private long _submittedCount, _completedCount, _failedCount;

    /// <summary>What one flush takes.</summary>
    public sealed record Taken(long Submitted, long Completed, long Failed, IReadOnlyDictionary<string, long> FailureTypes,
        IReadOnlyList<(string Id, long Ms)> SubmittedSamples, IReadOnlyList<(string Id, long Ms)> FinishedSamples)
    {
        /// <summary>True when there is nothing to write.</summary>
        public bool Empty => Submitted == 0 && Completed == 0 && Failed == 0 && FailureTypes.Count == 0 && SubmittedSamples.Count == 0 && FinishedSamples.Count == 0;
    }

    /// <summary>One task in 16 is sampled for the submit-to-end time, chosen by its id so every coordinator agrees.</summary>
    public static bool Sampled(string id)
    {
        // FNV-1a: stable across processes (string.GetHashCode is not).
        var hash = 2166136261u;
        foreach (var c in id)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return (hash & 15) == 0;
    }

    /// <summary>Counts tasks stored by a submit.</summary>
    public void AddSubmitted(int count) => Interlocked.Add(ref _submittedCount, count);

    /// <summary>Counts results committed: completed with a value, and runs failed.</summary>
    public void AddFinished(int completed, int failed)
    {
        if (completed > 0)
        {
            Interlocked.Add(ref _completedCount, completed);
        }
        if (failed > 0)
        {
            Interlocked.Add(ref _failedCount, failed);
        }
    }

    /// <summary>Counts one failed run of an error type.</summary>
    public void AddFailure(string type) => _failureTypes.AddOrUpdate(type, 1, static (_, n) => n + 1);

    /// <summary>Notes a sampled task's submit (or, with <paramref name="finished"/>, its end) at <paramref name="ms"/>.</summary>
    public void AddSample(string id, long ms, bool finished)
    {
        var queue = finished ? _finished : _submitted;
        if (queue.Count < MaxSamples)
        {
            queue.Enqueue((id, ms));
        }
    }

    /// <summary>Takes everything counted since the last call.</summary>
    public Taken Take()
    {
        var types = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var type in _failureTypes.Keys)
        {
            if (_failureTypes.TryRemove(type, out var n))
            {
                types[type] = n;
            }
        }
        return new Taken(Interlocked.Exchange(ref _submittedCount, 0), Interlocked.Exchange(ref _completedCount, 0), Interlocked.Exchange(ref _failedCount, 0),
            types, Drain(_submitted), Drain(_finished));
    }

    private static List<(string Id, long Ms)> Drain(ConcurrentQueue<(string Id, long Ms)> queue)
    {
        var list = new List<(string Id, long Ms)>();
        while (list.Count < MaxSamples && queue.TryDequeue(out var item))
        {
            list.Add(item);
        }
        return list;
    }
}
