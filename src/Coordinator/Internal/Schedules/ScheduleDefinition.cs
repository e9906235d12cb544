using System.Text.Json;

namespace Cluster.Coordinator.Internal.Schedules;

/// <summary>
/// A recurring schedule as the store keeps it (JSON, camelCase): its id as the store keys it
/// (<c>identity|id</c> with tokens), the cron expression and the time zone it is read in (empty:
/// UTC), and the task each tick submits with its JSON arguments.
/// </summary>
internal sealed record ScheduleDefinition(string Id, string Cron, string TimeZone, string Task, string Args)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The session of its ticks' tasks (scoped as the id is).</summary>
    public string Session => Scoped("sched:");

    /// <summary>The id of the task of the tick at <paramref name="tickUnixMs"/>: the same on every coordinator, so a tick is stored once.</summary>
    public string TaskId(long tickUnixMs) => Scoped("sched:") + ":" + tickUnixMs.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>"identity|" + prefix + the id as named (or prefix + id, unscoped).</summary>
    private string Scoped(string prefix)
    {
        var separator = Id.IndexOf(Security.CallerIdentity.ScopeSeparator, StringComparison.Ordinal);
        return separator < 0 ? prefix + Id : string.Concat(Id.AsSpan(0, separator + 1), prefix, Id.AsSpan(separator + 1));
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static ScheduleDefinition FromJson(byte[] json) => JsonSerializer.Deserialize<ScheduleDefinition>(json, Json)!;
}
