using Cronos;

namespace Cluster.Coordinator.Internal.Schedules;

/// <summary>A schedule's cron expression (5 fields, or 6 with seconds first; Cronos) in its time zone: when its ticks fall.</summary>
internal sealed class ScheduleCron
{
    private readonly CronExpression _expression;
    private readonly TimeZoneInfo _zone;

    private ScheduleCron(CronExpression expression, TimeZoneInfo zone)
    {
        _expression = expression;
        _zone = zone;
    }

    /// <summary>Null when both parse; else what is wrong, naming it.</summary>
    public static string? Problem(string cron, string timeZone, out ScheduleCron? parsed)
    {
        parsed = null;
        var fields = cron.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        CronFormat format;
        if (fields == 6)
        {
            format = CronFormat.IncludeSeconds;
        }
        else if (fields == 5 || (fields == 1 && cron.TrimStart().StartsWith('@')))
        {
            format = CronFormat.Standard;
        }
        else
        {
            return $"cron expression '{cron}' has {fields} fields; give 5 (minute hour day-of-month month day-of-week) or 6 (seconds first).";
        }
        CronExpression expression;
        try
        {
            expression = CronExpression.Parse(cron, format);
        }
        catch (CronFormatException e)
        {
            return $"cron expression '{cron}' does not parse: {e.Message}";
        }
        var zone = TimeZoneInfo.Utc;
        if (timeZone.Length > 0)
        {
            try
            {
                zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                return $"time zone '{timeZone}' is unknown on the coordinator; give an IANA id such as 'Europe/Paris', or none for UTC.";
            }
        }
        parsed = new ScheduleCron(expression, zone);
        return null;
    }

    /// <summary>The first tick after <paramref name="afterUnixMs"/> (Unix ms), or -1 when the expression has none.</summary>
    public long NextAfter(long afterUnixMs)
    {
        var from = DateTime.SpecifyKind(DateTime.UnixEpoch.AddMilliseconds(afterUnixMs), DateTimeKind.Utc);
        var next = _expression.GetNextOccurrence(from, _zone);
        return next is { } at ? new DateTimeOffset(at).ToUnixTimeMilliseconds() : -1;
    }
}
