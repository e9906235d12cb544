using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class TaskStore
{
    /// <summary>
    /// Where a task stands, for Tasks.Attach: its completion when it finished within the retention,
    /// else the session that submitted it while it is still in the store; neither when the id is
    /// unknown. Read from the task's shard (see <see cref="PeekAsync"/>).
    /// </summary>
    public async Task<(Completion? Completion, string? PendingSession)> LookupAsync(string id)
    {
        var (completion, header) = await PeekAsync(id).ConfigureAwait(false);
        return (completion, header?.Session);
    }

    /// <summary>
    /// The task's completion when it finished within the retention, else its header while it is in
    /// the store; neither when unknown. Its completion is kept in the task's shard (that of its id,
    /// or of its idempotency key), also when its session is homed on another.
    /// </summary>
    public Task<(Completion? Completion, Header? Pending)> PeekAsync(string id) =>
        FindAsync(id, s => s.PeekAsync(id), found => found.Completion is not null || found.Pending is not null);

    /// <inheritdoc cref="ShardStore.DueAtAsync"/>
    public Task<long?> DueAtAsync(string id) => FindAsync(id, s => s.DueAtAsync(id), due => due is not null);

    /// <summary>The errors of a task's failed attempts so far, oldest first, from the task's shard.</summary>
    public Task<List<TaskError>> ErrorsAsync(string id) => FindAsync(id, s => s.ErrorsAsync(id), errors => errors.Count > 0);

    /// <inheritdoc cref="ShardStore.DescribeAsync"/>
    public async Task<TaskDescription> DescribeAsync(string id, int preview)
    {
        var found = await FindAsync(id, s => s.DescribeAsync(id, preview), d => d.Header is not null || d.DeadLetter is not null || d.Outcome is not null || d.ArgsBytes > 0 || d.Errors.Count > 0).ConfigureAwait(false);
        // The dashboard's samples are on shard 0, whatever the task's shard.
        return found.SubmittedAtMs is null && _one is null && await _shards[0].SampledAtAsync(id).ConfigureAwait(false) is { } at
            ? found with { SubmittedAtMs = at }
            : found;
    }

    /// <summary>
    /// Reads a task from the shard of its id (or where this connection leased it) and, when that
    /// shard does not hold it (<paramref name="found"/> is false), from the others at once: a task
    /// submitted with an idempotency key lives in the shard of its key. Returns the first read that
    /// found it, else the first shard's.
    /// </summary>
    private async Task<T> FindAsync<T>(string id, Func<ShardStore, Task<T>> read, Func<T, bool> found)
    {
        if (_one is not null)
        {
            return await read(_one).ConfigureAwait(false);
        }
        var first = ShardOf(id);
        var there = await read(_shards[first]).ConfigureAwait(false);
        if (found(there))
        {
            return there;
        }
        var others = await Task.WhenAll(_shards.Where((_, s) => s != first).Select(read)).ConfigureAwait(false);
        var elsewhere = others.Where(found).Take(1).ToList();
        return elsewhere.Count > 0 ? elsewhere[0] : there;
    }
}
