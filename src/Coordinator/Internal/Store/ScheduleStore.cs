using System.Globalization;
using Cluster.Coordinator.Internal.Schedules;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// The recurring schedules, on shard 0 of the store (<see cref="Keys.Schedules"/>): definitions,
/// each one's next tick, and its last claimed tick. Each change is one script of <see cref="ScheduleScripts"/>.
/// </summary>
internal sealed class ScheduleStore(IConnectionMultiplexer redis, Keys keys)
{
    private readonly IDatabase _db = redis.GetDatabase();

    /// <summary>Adds or replaces a schedule, whose next tick is <paramref name="firstTick"/> (-1: none). True when it is new.</summary>
    public async Task<bool> PutAsync(ScheduleDefinition schedule, long firstTick)
    {
        var fresh = (long)await ScheduleScripts.Put.RunAsync(_db, [keys.Schedules, keys.ScheduleDue], [schedule.Id, schedule.ToJson(), firstTick]).ConfigureAwait(false);
        await PublishChangedAsync().ConfigureAwait(false);
        return fresh == 1;
    }

    /// <summary>The store's clock now (Unix ms), where the schedules are: ticks are computed from it.</summary>
    public async Task<long> NowAsync() =>
        long.Parse((string)(await ScheduleScripts.Now.RunAsync(_db, [keys.ScheduleDue], []).ConfigureAwait(false))!, CultureInfo.InvariantCulture);

    /// <summary>Removes a schedule (stored id); false when there was none.</summary>
    public async Task<bool> RemoveAsync(string id)
    {
        var removed = (long)await ScheduleScripts.Remove.RunAsync(_db, [keys.Schedules, keys.ScheduleDue, keys.ScheduleRuns, keys.ScheduleUnsent], [id]).ConfigureAwait(false);
        await PublishChangedAsync().ConfigureAwait(false);
        return removed == 1;
    }

    /// <summary>One schedule (stored id); null when there is none.</summary>
    public async Task<ScheduleDefinition?> GetAsync(string id)
    {
        var json = await _db.HashGetAsync(keys.Schedules, id).ConfigureAwait(false);
        return json.HasValue ? ScheduleDefinition.FromJson((byte[])json!) : null;
    }

    /// <summary>
    /// What is due by the store's clock: its time now (Unix ms), the (id, tick) of schedules due, the
    /// time until the next tick after those (null: none), and the ids whose claimed tick was not
    /// marked sent within <paramref name="unsentAfter"/> (their coordinator stopped in between).
    /// </summary>
    public async Task<ScheduleDue> DueAsync(int max, TimeSpan unsentAfter)
    {
        var result = (RedisResult[])(await ScheduleScripts.Due.RunAsync(_db, [keys.ScheduleDue, keys.ScheduleUnsent], [max, (long)unsentAfter.TotalMilliseconds]).ConfigureAwait(false))!;
        var pairs = (RedisResult[])result[1]!;
        var due = new List<(string, long)>(pairs.Length / 2);
        for (var i = 0; i + 1 < pairs.Length; i += 2)
        {
            due.Add(((string)pairs[i]!, (long)(double)pairs[i + 1]));
        }
        var wait = (long)result[2];
        return new ScheduleDue(long.Parse((string)result[0]!, CultureInfo.InvariantCulture), due, wait < 0 ? null : TimeSpan.FromMilliseconds(wait), (string[])result[3]!);
    }

    /// <summary>Claims a schedule's tick (compare and set on its next tick), moving it on to <paramref name="nextTick"/> (-1: none). True when this call won it.</summary>
    public async Task<bool> ClaimAsync(ScheduleDefinition schedule, long tick, long nextTick) =>
        (long)await ScheduleScripts.Claim.RunAsync(_db, [keys.Schedules, keys.ScheduleDue, keys.ScheduleRuns, keys.ScheduleUnsent], [schedule.Id, tick, nextTick, schedule.TaskId(tick)]).ConfigureAwait(false) == 1;

    /// <summary>The claimed tick's task is stored.</summary>
    public Task SentAsync(string id, long tick) =>
        ScheduleScripts.Sent.RunAsync(_db, [keys.ScheduleRuns, keys.ScheduleUnsent], [id, tick]);

    /// <summary>A schedule's last claimed tick (Unix ms) and its task id; null when it had none.</summary>
    public async Task<(long Tick, string TaskId)?> LastRunAsync(string id) =>
        LastRun(await _db.HashGetAsync(keys.ScheduleRuns, id).ConfigureAwait(false));

    /// <summary>
    /// Every schedule whose stored id starts with <paramref name="prefix"/> (an identity's scope; empty:
    /// all), by id, with its next tick (-1: none) and last claimed tick. Reads three hashes, whatever
    /// the count: meant for a list page, not for a hot path.
    /// </summary>
    public async Task<List<ScheduleState>> ListAsync(string prefix = "")
    {
        var definitions = await _db.HashGetAllAsync(keys.Schedules).ConfigureAwait(false);
        var mine = definitions.Where(e => ((string)e.Name!).StartsWith(prefix, StringComparison.Ordinal)).OrderBy(e => (string)e.Name!, StringComparer.Ordinal).ToList();
        if (mine.Count == 0)
        {
            return [];
        }
        var ids = mine.Select(e => e.Name).ToArray();
        var next = await _db.SortedSetScoresAsync(keys.ScheduleDue, ids).ConfigureAwait(false);
        var runs = await _db.HashGetAsync(keys.ScheduleRuns, ids).ConfigureAwait(false);
        var list = new List<ScheduleState>(mine.Count);
        for (var i = 0; i < mine.Count; i++)
        {
            list.Add(new ScheduleState(ScheduleDefinition.FromJson((byte[])mine[i].Value!), next[i] is { } n ? (long)n : -1, LastRun(runs[i])));
        }
        return list;
    }

    private static (long Tick, string TaskId)? LastRun(RedisValue run)
    {
        if (!run.HasValue)
        {
            return null;
        }
        var text = (string)run!;
        var first = text.IndexOf('|', StringComparison.Ordinal);
        // "tick|task id|claimed at|sent": the task id may hold the one '|' of its scope.
        var parts = text.Split('|');
        var taskId = string.Join('|', parts, 1, parts.Length - 3);
        return (long.Parse(text.AsSpan(0, first), CultureInfo.InvariantCulture), taskId);
    }

    /// <summary>Wakes every coordinator's schedule loop (this one's through the same channel).</summary>
    private Task PublishChangedAsync() => _db.PublishAsync(keys.TimersChannel, "s");
}

/// <summary>What the schedule loop found due (see <see cref="ScheduleStore.DueAsync"/>).</summary>
internal sealed record ScheduleDue(long Now, List<(string Id, long Tick)> Due, TimeSpan? Next, string[] Unsent);

/// <summary>A schedule with its next tick (-1: none) and last claimed tick, as listed.</summary>
internal sealed record ScheduleState(ScheduleDefinition Definition, long NextTick, (long Tick, string TaskId)? Last);
