using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class TaskStore
{
    /// <summary>
    /// Stores tasks that take other tasks' results as arguments, in order (<see cref="ShardStore.SubmitGraphAsync"/>).
    /// A task and its inputs must be kept on one shard: on a store of several shards, a task with an
    /// input on another shard than its own is refused (FailedPrecondition), as a relay of inputs
    /// across shards is not built.
    /// </summary>
    public async Task<GraphOutcome> SubmitGraphAsync(string session, IReadOnlyList<TaskSpec> tasks)
    {
        if (_one is not null)
        {
            return await _one.SubmitGraphAsync(session, tasks).ConfigureAwait(false);
        }
        var refused = new List<(int, string, string)>();
        var groups = new SortedDictionary<int, List<int>>();
        for (var i = 0; i < tasks.Count; i++)
        {
            var shard = _layout.OfTask(tasks[i].Id);
            if (tasks[i].Inputs.FirstOrDefault(input => ShardOf(input) != shard) is { } away)
            {
                refused.Add((i, "FailedPrecondition", $"input task '{away}' is kept on another shard of the store than task '{tasks[i].Id}': on a store of several shards a task can take as arguments only futures of tasks on its own shard."));
                continue;
            }
            if (!groups.TryGetValue(shard, out var positions))
            {
                groups[shard] = positions = [];
            }
            positions.Add(i);
        }
        foreach (var (shard, positions) in groups)
        {
            var outcome = await _shards[shard].SubmitGraphAsync(session, [.. positions.Select(i => tasks[i])]).ConfigureAwait(false);
            refused.AddRange(outcome.Refused.Select(r => (positions[r.Index], r.Code, r.Message)));
        }
        return new GraphOutcome(refused);
    }
}
