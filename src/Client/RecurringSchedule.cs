using System.Text.Json;

namespace Cluster.Client;

/// <summary>A recurring schedule (see <see cref="IClusterSchedules"/>) as the cluster holds it.</summary>
/// <param name="Id">The schedule's id.</param>
/// <param name="Cron">Its cron expression (5 or 6 fields).</param>
/// <param name="Task">The task name each tick submits.</param>
/// <param name="Args">The task's arguments (a JSON array).</param>
/// <param name="TimeZone">The time zone id the expression is read in; empty for UTC.</param>
/// <param name="NextRun">The next tick; null when the expression has no later one.</param>
/// <param name="LastRun">The last tick that submitted its task; null before the first.</param>
/// <param name="LastTaskId">The id of that tick's task; null before the first.</param>
/// <param name="LastOutcome">
/// What became of that task: null before the first tick, else "delayed", "queued", "running",
/// "retrying", "succeeded", "failed", "cancelled", "dead-lettered", or "unknown" (finished longer ago
/// than the coordinator's retention).
/// </param>
public sealed record RecurringSchedule(string Id, string Cron, string Task, JsonElement Args, string TimeZone, DateTimeOffset? NextRun, DateTimeOffset? LastRun, string? LastTaskId, string? LastOutcome);
