using System.Globalization;
using Cluster.Cli.Settings;
using Cluster.Contracts;
using Cluster.Protocol.V1;

namespace Cluster.Cli.Commands;

/// <summary><c>cluster dead-letters</c>: lists tasks that ran past their bounds; requeues one, or purges them.</summary>
internal static class DeadLettersCommand
{
    public static async Task<int> RunAsync(SettingValues values, CancellationToken cancellationToken)
    {
        var coordinator = values.Get(ClusterOptions.Coordinator)!;
        var security = ClientToken.Security(values);
        var json = values.Get(ClusterOptions.Json);
        var request = new DeadLettersRequest
        {
            Requeue = values.Get(ClusterOptions.Requeue) ?? string.Empty,
            Purge = values.Get(ClusterOptions.Purge),
            Limit = values.Get(ClusterOptions.Limit),
            // 1 is the oldest page on the command line; 0 on the wire.
            Page = values.Get(ClusterOptions.Page) - 1,
        };
        if (request.Purge && request.Requeue.Length > 0)
        {
            throw new UsageException("Give --requeue ID or --purge, not both.");
        }
        using var channel = ClusterChannel.Create(coordinator, security);
        var reply = await new Admin.AdminClient(channel).DeadLettersAsync(request, cancellationToken: cancellationToken);
        if (request.Purge)
        {
            Print(json, new { purged = reply.Purged }, $"Purged {reply.Purged} dead letters.");
            return 0;
        }
        if (request.Requeue.Length > 0)
        {
            Print(json, new { requeued = reply.Requeued, taskId = request.Requeue }, reply.Requeued > 0 ? $"Requeued {request.Requeue}." : $"No dead letter {request.Requeue}.");
            return reply.Requeued > 0 ? 0 : 1;
        }
        var pages = Math.Max(1, (reply.Total + request.Limit - 1) / request.Limit);
        if (json)
        {
            JsonOutput.Write(new
            {
                total = reply.Total,
                page = request.Page + 1,
                pages,
                letters = reply.Letters.Select(l => new
                {
                    taskId = l.TaskId,
                    name = l.Name,
                    at = DateTimeOffset.FromUnixTimeMilliseconds(l.AtUnixMs),
                    attempt = l.Attempt,
                    reason = l.Reason,
                    errors = l.Errors.Select(e => new { attempt = e.Attempt, type = e.Type, message = e.Message }),
                }),
            });
            return 0;
        }
        Console.WriteLine($"{reply.Total} dead letters, page {request.Page + 1} of {pages} (oldest first; --page N for another)");
        foreach (var letter in reply.Letters)
        {
            var at = DateTimeOffset.FromUnixTimeMilliseconds(letter.AtUnixMs).ToString("u", CultureInfo.InvariantCulture);
            Console.WriteLine($"{letter.TaskId}  {letter.Name}  {at}  attempt {letter.Attempt}: {letter.Reason}");
            foreach (var error in letter.Errors)
            {
                Console.WriteLine($"    attempt {error.Attempt}: {error.Type}: {error.Message}");
            }
        }
        return 0;
    }

    private static void Print(bool json, object document, string line)
    {
        if (json)
        {
            JsonOutput.Write(document);
        }
        else
        {
            Console.WriteLine(line);
        }
    }
}
