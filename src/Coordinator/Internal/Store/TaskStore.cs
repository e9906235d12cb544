using System.Collections.Concurrent;
using Cluster.Protocol.V1;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// Task state in the store, over its shards (<see cref="ShardLayout"/>): each call goes to the shard
/// that holds what it touches, one script per shard and batch; on one shard, straight to it.
/// </summary>
internal sealed partial class TaskStore
{
    private readonly ShardLayout _layout;
    private readonly ShardStore[] _shards;
    private readonly ShardStore? _one;

    // Leased tasks that live in another shard than their id's (placed by idempotency key): where
    // their results and releases go. Only the connection that leased a task commits it.
    private readonly ConcurrentDictionary<string, int> _placed = new(StringComparer.Ordinal);

    /// <summary>What this coordinator's batches did since the last flush, for the dashboard (<see cref="StatsFlush"/> writes it).</summary>
    public ClusterStats Stats { get; } = new();

    /// <summary>A store of the layout's shards.</summary>
    public TaskStore(IConnectionMultiplexer redis, ShardLayout layout, CoordinatorOptions options, Notifier? local = null)
    {
        _layout = layout;
        _shards = new ShardStore[layout.Count];
        for (var i = 0; i < layout.Count; i++)
        {
            _shards[i] = new ShardStore(redis, layout, i, options, local, Stats);
        }
        _one = layout.Count == 1 ? _shards[0] : null;
        Schedules = new ScheduleStore(redis, layout.Base);
    }

    /// <summary>The recurring schedules (on shard 0).</summary>
    public ScheduleStore Schedules { get; }

    /// <summary>Every schedule, of every identity (ids as stored), with its next and last tick: for the dashboard.</summary>
    public Task<List<ScheduleState>> ListSchedulesAsync() => Schedules.ListAsync();

    /// <summary>A one-shard store under the prefix of <paramref name="keys"/>.</summary>
    public TaskStore(IConnectionMultiplexer redis, Keys keys, CoordinatorOptions options, Notifier? local = null)
        : this(redis, new ShardLayout(keys.Tag[1..^1], 1), options, local)
    {
    }

    /// <summary>Runs before each append of forwarded completions; a hook that throws leaves them for the reaper, as a coordinator that dies there would.</summary>
    internal Func<Task>? BeforeAppend
    {
        set
        {
            foreach (var shard in _shards)
            {
                shard.BeforeAppend = value;
            }
        }
    }

    /// <summary>Shard 0's keys (the channels, the layout's record).</summary>
    public Keys Keys => _layout.Base;

    /// <summary>The layout of the shards.</summary>
    public ShardLayout Layout => _layout;

    /// <summary>The store of one shard.</summary>
    internal ShardStore Shard(int shard) => _shards[shard];

    /// <inheritdoc cref="ShardStore.SubmitAsync"/>
    public async Task<SubmitOutcome> SubmitAsync(string session, IReadOnlyList<TaskSpec> tasks, string? handoffWorker = null, int handoffMax = 0)
    {
        if (_one is not null)
        {
            return await _one.SubmitAsync(session, tasks, handoffWorker, handoffMax).ConfigureAwait(false);
        }
        var groups = Group(tasks.Count, i => _layout.OfTask(tasks[i].Id, tasks[i].IdempotencyKey));
        // The worker waiting for tasks takes them from the largest group; leasing finds the others.
        var largest = groups.MaxBy(g => g.Value.Count).Key;
        var runs = groups.Select(g => (g.Key, g.Value, Run: _shards[g.Key].SubmitAsync(session, [.. g.Value.Select(i => tasks[i])], g.Key == largest ? handoffWorker : null, g.Key == largest ? handoffMax : 0))).ToList();
        await Task.WhenAll(runs.Select(r => r.Run)).ConfigureAwait(false);
        var refused = new List<(int, string)>();
        var handed = new List<Assignment>();
        var full = new List<(int, long)>();
        foreach (var (shard, positions, run) in runs)
        {
            var outcome = run.Result;
            refused.AddRange(outcome.Refused.Select(r => (positions[r.Index], r.ExistingTaskId)));
            full.AddRange(outcome.Full.Select(f => (positions[f.Index], f.Queued)));
            Note(shard, outcome.Handed);
            handed.AddRange(outcome.Handed);
        }
        return new SubmitOutcome(refused, handed) { Full = full };
    }

    /// <summary>
    /// Leases up to <paramref name="max"/> queued tasks of the given routes to the worker, from every
    /// shard in turn (one script call each), starting at a shard that <paramref name="rotation"/>
    /// moves on, so that no shard's queues wait behind another's. <c>NextToken</c>: the soonest a
    /// rate limit that held tasks back has a token again.
    /// </summary>
    public async Task<(List<Assignment> Tasks, bool More, TimeSpan? NextToken)> LeaseAsync(string worker, string token, IReadOnlyList<string> names, int max, int rotation)
    {
        if (_one is not null)
        {
            return await _one.LeaseAsync(worker, token, names, max, rotation).ConfigureAwait(false);
        }
        var leased = new List<Assignment>();
        TimeSpan? soonest = null;
        var start = (int)((uint)rotation % (uint)_shards.Length);
        for (var n = 0; n < _shards.Length && leased.Count < max; n++)
        {
            var shard = (start + n) % _shards.Length;
            var (tasks, more, next) = await _shards[shard].LeaseAsync(worker, token, names, max - leased.Count, rotation).ConfigureAwait(false);
            Note(shard, tasks);
            leased.AddRange(tasks);
            if (next < soonest || soonest is null)
            {
                soonest = next;
            }
            if (more)
            {
                return (leased, true, soonest);
            }
        }
        return (leased, false, soonest);
    }

    /// <inheritdoc cref="ShardStore.CompleteAsync"/>
    public async Task<CompleteOutcome> CompleteAsync(string worker, IReadOnlyList<TaskResult> results, Action<string>? verdicts = null)
    {
        if (_one is not null)
        {
            return await _one.CompleteAsync(worker, results, verdicts).ConfigureAwait(false);
        }
        var groups = Group(results.Count, i => ShardOf(results[i].TaskId));
        var letters = new char[results.Count];
        var runs = groups.Select(g => (Staged: new List<string>(), Shard: g.Key, Positions: g.Value)).Select(g => (g.Staged, g.Shard, Run: _shards[g.Shard].CompleteAsync(worker, [.. g.Positions.Select(i => results[i])], v =>
        {
            for (var j = 0; j < v.Length && j < g.Positions.Count; j++)
            {
                letters[g.Positions[j]] = v[j];
            }
        }, g.Staged))).ToList();
        await Task.WhenAll(runs.Select(r => r.Run)).ConfigureAwait(false);
        // One append per session homed elsewhere, for what every shard of the batch wrote for it.
        var moves = runs.SelectMany(r => r.Staged.Select(session => (Session: session, r.Shard)))
            .GroupBy(m => m.Session, StringComparer.Ordinal)
            .Select(g => _shards[_layout.HomeOf(g.Key)].MoveAsync(g.Key, [.. g.Select(m => m.Shard)]));
        await Task.WhenAll(moves).ConfigureAwait(false);
        var total = new CompleteOutcome(0, 0, 0, 0);
        foreach (var (_, _, run) in runs)
        {
            var o = run.Result;
            total = new CompleteOutcome(total.Accepted + o.Accepted, total.Stale + o.Stale, total.Retrying + o.Retrying, total.DeadLettered + o.DeadLettered);
        }
        for (var i = 0; i < results.Count; i++)
        {
            if (letters[i] != 's' && letters[i] != 'r')
            {
                _placed.TryRemove(results[i].TaskId, out _);
            }
        }
        verdicts?.Invoke(new string(letters));
        return total;
    }

    /// <summary>
    /// Cancels queued tasks of one session (true per task that will never run); with
    /// <paramref name="interrupt"/>, asks the workers running the others to stop them. A task not
    /// found in its id's shard is looked for in the others (one placed by its idempotency key).
    /// </summary>
    public async Task<(bool[] Cancelled, bool[] Interrupted)> CancelAsync(string session, IReadOnlyList<string> ids, bool interrupt)
    {
        if (_one is not null)
        {
            return await _one.CancelAsync(session, ids, interrupt).ConfigureAwait(false);
        }
        var cancelled = new bool[ids.Count];
        var interrupted = new bool[ids.Count];
        for (var pass = 0; pass < 2; pass++)
        {
            var open = Enumerable.Range(0, ids.Count).Where(i => !cancelled[i] && !interrupted[i]).ToList();
            var shards = pass == 0
                ? open.GroupBy(i => ShardOf(ids[i])).Select(g => (g.Key, g.ToList())).ToList()
                : [.. Enumerable.Range(0, _shards.Length).Select(s => (s, open.Where(i => ShardOf(ids[i]) != s).ToList()))];
            foreach (var (shard, positions) in shards.Where(s => s.Item2.Count > 0))
            {
                var (c, r) = await _shards[shard].CancelAsync(session, [.. positions.Select(i => ids[i])], interrupt).ConfigureAwait(false);
                for (var j = 0; j < positions.Count; j++)
                {
                    cancelled[positions[j]] |= c[j];
                    interrupted[positions[j]] |= r[j];
                }
            }
        }
        return (cancelled, interrupted);
    }

    /// <inheritdoc cref="ShardStore.PublishEventsAsync"/>
    public Task PublishEventsAsync(IEnumerable<TaskEvent> events) => _shards[0].PublishEventsAsync(events);

    /// <summary>Reads a session's completions after a cursor, oldest first, from its home shard.</summary>
    public Task<List<Completion>> ReadCompletionsAsync(string session, long afterSeq, int max) =>
        Home(session).ReadCompletionsAsync(session, afterSeq, max);

    /// <inheritdoc cref="ShardStore.ReadCompletionBatchAsync"/>
    public Task<(List<Completion> Completions, bool More)> ReadCompletionBatchAsync(string session, long afterSeq, int max, int maxBytes) =>
        Home(session).ReadCompletionBatchAsync(session, afterSeq, max, maxBytes);

    /// <inheritdoc cref="ShardStore.AckAsync"/>
    public Task AckAsync(string session, long upToSeq) => Home(session).AckAsync(session, upToSeq);

    /// <summary>
    /// Appends the completions other shards wrote for sessions homed elsewhere and left (their
    /// coordinator died before it appended them) once noted longer than <paramref name="olderThan"/>
    /// ago. Returns how many sessions it looked at.
    /// </summary>
    public async Task<int> DrainForwardsAsync(TimeSpan olderThan)
    {
        var n = 0;
        foreach (var shard in _shards)
        {
            n += await shard.DrainForwardsAsync(olderThan).ConfigureAwait(false);
        }
        return n;
    }

    private ShardStore Home(string session) => _one ?? _shards[_layout.HomeOf(session)];

    /// <summary>The shard of a leased task: where it was leased from, else its id's.</summary>
    private int ShardOf(string taskId) => _placed.TryGetValue(taskId, out var shard) ? shard : _layout.OfTask(taskId);

    /// <summary>Remembers the shard of leased tasks that live elsewhere than their id says.</summary>
    private void Note(int shard, List<Assignment> tasks)
    {
        foreach (var task in tasks)
        {
            if (_layout.OfTask(task.TaskId) != shard)
            {
                _placed[task.TaskId] = shard;
            }
        }
    }

    /// <summary>Positions 0..count-1 grouped by shard, in order.</summary>
    private static Dictionary<int, List<int>> Group(int count, Func<int, int> shardOf)
    {
        var groups = new Dictionary<int, List<int>>();
        for (var i = 0; i < count; i++)
        {
            var shard = shardOf(i);
            if (!groups.TryGetValue(shard, out var list))
            {
                groups[shard] = list = [];
            }
            list.Add(i);
        }
        return groups;
    }
}
