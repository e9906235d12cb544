using System.Collections.Concurrent;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// What this coordinator's submit and complete batches did since the last flush, counted in memory
/// (a few interlocked additions a batch) and written to the store once a second by
/// <see cref="StatsFlush"/> (see <see cref="StatsScript"/>), so every coordinator's dashboard shows
/// the whole cluster. The submit and finish times of sampled tasks (one in 16, by a hash of the id)
/// are this coordinator's clock, in Unix milliseconds. Bounded: past <see cref="MaxSamples"/>
/// samples waiting (the store is away), new ones are not kept. Per task name it counts the tasks
/// stored, and the runs that ended (their time, and those retried): past <see cref="MaxNames"/>
/// names between two flushes, a new name is not counted until the next.
/// </summary>
internal sealed partial class ClusterStats
{
    /// <summary>Most sampled tasks held between two flushes, of each kind.</summary>
    public const int MaxSamples = 20_000;

    /// <summary>Most task names counted between two flushes, and kept in one bucket of the store (<see cref="StatsScript"/>).</summary>
    public const int MaxNames = 200;

    private readonly ConcurrentDictionary<string, long> _failureTypes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Id, long Ms)> _submitted = new();
    private readonly ConcurrentQueue<(string Id, long Ms)> _finished = new();
    // Per task name: (kind, name) → count; kinds: i stored, r runs ended, t their time (µs), x runs retried.
    private readonly ConcurrentDictionary<(char Kind, string Name), long> _byName = new();
    private long _submittedCount, _completedCount, _failedCount;
    private int _keys;

    /// <summary>What one flush takes.</summary>
    public sealed record Taken(long Submitted, long Completed, long Failed, IReadOnlyDictionary<string, long> FailureTypes,
        IReadOnlyList<(string Id, long Ms)> SubmittedSamples, IReadOnlyList<(string Id, long Ms)> FinishedSamples)
    {
        /// <summary>Per task name, the busiest first: tasks stored, tasks out (runs that ended their task), runs ended and their time in µs.</summary>
        public IReadOnlyList<NameCounts> Names { get; init; } = [];

        /// <summary>True when there is nothing to write.</summary>
        public bool Empty => Submitted == 0 && Completed == 0 && Failed == 0 && FailureTypes.Count == 0 && SubmittedSamples.Count == 0 && FinishedSamples.Count == 0 && Names.Count == 0;
    }

    /// <summary>One task name's counts of a flush.</summary>
    /// <param name="Name">The task name.</param>
    /// <param name="In">Tasks stored by submits.</param>
    /// <param name="Out">Runs that ended their task: a value, a final error, a dead letter, a cancellation (not those retried).</param>
    /// <param name="Runs">Runs that ended, retried or not.</param>
    /// <param name="RunMicros">Their time from lease sent to result received, summed, in microseconds.</param>
    public readonly record struct NameCounts(string Name, long In, long Out, long Runs, long RunMicros);

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

    /// <summary>Counts <paramref name="count"/> tasks of one name stored by a submit.</summary>
    public void AddSubmitted(string name, long count) => AddByName('i', name, count);

    /// <summary>Counts a run of a task name that ended (its result committed), with its time.</summary>
    public void AddRun(string name, double seconds)
    {
        AddByName('r', name, 1);
        AddByName('t', name, (long)(seconds * 1_000_000));
    }

    /// <summary>Counts a failed run of a task name that is retried: its task did not go out.</summary>
    public void AddRetried(string name, long count) => AddByName('x', name, count);

    private void AddByName(char kind, string name, long count)
    {
        var key = (kind, name);
        // A soft bound (a race may pass it by a few): names past it wait for the next flush.
        if (!_byName.ContainsKey(key) && Volatile.Read(ref _keys) >= MaxNames * 4)
        {
            return;
        }
        _byName.AddOrUpdate(key, static (_, state) =>
        {
            Interlocked.Increment(ref state.Stats._keys);
            return state.Count;
        }, static (_, n, state) => n + state.Count, (Stats: this, Count: count));
    }

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
            types, Drain(_submitted), Drain(_finished)) { Names = TakeNames() };
    }

    private List<NameCounts> TakeNames()
    {
        var names = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var key in _byName.Keys)
        {
            if (_byName.TryRemove(key, out var n))
            {
                if (!names.TryGetValue(key.Name, out var counts))
                {
                    names[key.Name] = counts = new long[4];
                }
                counts["irtx".IndexOf(key.Kind, StringComparison.Ordinal)] += n;
            }
        }
        // Recounted once a flush: an add that raced another may have counted its key twice.
        Volatile.Write(ref _keys, _byName.Count);
        return [.. names.Select(p => new NameCounts(p.Key, p.Value[0], Math.Max(0, p.Value[1] - p.Value[3]), p.Value[1], p.Value[2]))
            .OrderByDescending(c => c.In + c.Runs).ThenBy(c => c.Name, StringComparer.Ordinal).Take(MaxNames)];
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
