using System.Globalization;
using Cluster.Cli.Settings;
using Cluster.Contracts;
using Cluster.Protocol.V1;

namespace Cluster.Cli.Commands;

/// <summary><c>cluster schedules list|remove ID</c>: the caller's identity's recurring schedules.</summary>
internal static class SchedulesCommand
{
    public static async Task<int> RunAsync(SettingValues values, CancellationToken cancellationToken)
    {
        var action = values.Argument;
        var id = values.SecondArgument;
        var json = values.Get(ClusterOptions.Json);
        if (action is not ("list" or "remove"))
        {
            throw new UsageException($"Unknown action '{action}': give `cluster schedules list` or `cluster schedules remove ID`.");
        }
        if (action == "remove" && string.IsNullOrWhiteSpace(id))
        {
            throw new UsageException("Give the schedule's id: `cluster schedules remove ID`.");
        }
        if (action == "list" && id is not null)
        {
            throw new UsageException($"`cluster schedules list` takes no id (got '{id}').");
        }
        var coordinator = values.Get(ClusterOptions.Coordinator)!;
        using var channel = ClusterChannel.Create(coordinator, ClientToken.Security(values));
        var client = new Protocol.V1.Schedules.SchedulesClient(channel);
        if (action == "remove")
        {
            var removed = (await client.RemoveAsync(new ScheduleRemoveRequest { Id = id }, cancellationToken: cancellationToken)).Removed;
            if (json)
            {
                JsonOutput.Write(new { scheduleId = id, removed });
            }
            else
            {
                Console.WriteLine(removed ? $"Removed schedule {id}." : $"No schedule {id}.");
            }
            return removed ? 0 : 1;
        }
        var list = (await client.ListAsync(new ScheduleListRequest(), cancellationToken: cancellationToken)).Schedules;
        if (json)
        {
            JsonOutput.Write(list.Select(s => new
            {
                id = s.Id,
                cron = s.Cron,
                timeZone = s.TimeZone.Length > 0 ? s.TimeZone : "UTC",
                task = s.Task,
                args = s.Args.ToStringUtf8(),
                nextRun = Time(s.NextRunUnixMs),
                lastRun = Time(s.LastRunUnixMs),
                lastTaskId = s.LastTaskId.Length > 0 ? s.LastTaskId : null,
                lastOutcome = s.LastOutcome.Length > 0 ? s.LastOutcome : null,
            }));
            return 0;
        }
        Console.WriteLine($"{list.Count} schedules");
        foreach (var s in list)
        {
            Console.WriteLine($"{s.Id}  '{s.Cron}' {(s.TimeZone.Length > 0 ? s.TimeZone : "UTC")}  {s.Task} {s.Args.ToStringUtf8()}");
            Console.WriteLine($"    next {Time(s.NextRunUnixMs) ?? "none"}  last {Time(s.LastRunUnixMs) ?? "none"}{(s.LastTaskId.Length > 0 ? $" ({s.LastTaskId}: {s.LastOutcome})" : string.Empty)}");
        }
        return 0;
    }

    private static string? Time(long unixMs) =>
        unixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : null;
}
