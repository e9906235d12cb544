namespace Cluster.Client;

/// <summary>
/// Recurring tasks, as Hangfire's recurring jobs or Celery beat: a schedule submits one task per tick
/// of its cron expression, exactly once across every coordinator of the cluster. A tick's task has the
/// id <c>sched:&lt;schedule id&gt;:&lt;tick, Unix ms&gt;</c>, so any executor of the identity can
/// <see cref="ClusterExecutor.Attach{TResult}(string)"/> to it. A tick less than 10 s late still runs;
/// ticks missed for longer (no coordinator ran) run once, and the next tick is the first after now.
/// </summary>
public interface IClusterSchedules
{
    /// <summary>
    /// Adds the schedule <paramref name="id"/>, or replaces it (its next tick is computed again).
    /// </summary>
    /// <param name="id">The schedule's id: 1 to 100 of the characters A-Z a-z 0-9 _ . : / @ -.</param>
    /// <param name="cron">5 fields (minute hour day-of-month month day-of-week: <c>"0 3 * * *"</c> every night at 03:00) or 6 with seconds first (<c>"*/10 * * * * *"</c> every ten seconds).</param>
    /// <param name="task">The task name each tick submits.</param>
    /// <param name="args">The task's arguments, written as a JSON array.</param>
    /// <param name="timeZone">The time zone the expression is read in. Default: UTC.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The schedule as stored, with its next tick.</returns>
    /// <exception cref="Grpc.Core.RpcException">InvalidArgument, naming the problem: a bad id, cron expression, time zone, task name or arguments.</exception>
    Task<RecurringSchedule> AddOrUpdateAsync(string id, string cron, string task, object?[] args, TimeZoneInfo? timeZone = null, CancellationToken cancellationToken = default);

    /// <summary>Removes the schedule: no later tick runs (a tick's task already submitted is left alone).</summary>
    /// <param name="id">The schedule's id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>False when there was no such schedule.</returns>
    Task<bool> RemoveAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The identity's schedules, by id, with each one's next and last tick and its last task's outcome.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<IReadOnlyList<RecurringSchedule>> ListAsync(CancellationToken cancellationToken = default);
}
