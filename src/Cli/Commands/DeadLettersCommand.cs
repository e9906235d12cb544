using System.Globalization;
using Cluster.Protocol.V1;
using Cluster.Contracts;

namespace Cluster.Cli.Commands;

/// <summary><c>cluster dead-letters</c>: lists tasks that ran past their bounds; requeues one, or purges them.</summary>
internal static class DeadLettersCommand
{
    public static async Task<int> RunAsync(IEnumerable<string> rest, CancellationToken cancellationToken)
    {
        var args = new Arguments(rest, new HashSet<string> { "purge" });
        var coordinator = args.Url("coordinator", "http://127.0.0.1:5050");
        var security = TlsArguments.Client(args);
        var request = new DeadLettersRequest
        {
            Requeue = args.String("requeue") ?? string.Empty,
            Purge = args.Flag("purge"),
            Limit = args.Int("limit", 100, 1, 100_000),
            // 1 is the oldest page on the command line; 0 on the wire.
            Page = args.Int("page", 1, 1, int.MaxValue) - 1,
        };
        args.RejectUnknown();
        if (request.Purge && request.Requeue.Length > 0)
        {
            throw new UsageException("Give --requeue ID or --purge, not both.");
        }
        using var channel = ClusterChannel.Create(coordinator, security);
        var reply = await new Admin.AdminClient(channel).DeadLettersAsync(request, cancellationToken: cancellationToken);
        if (request.Purge)
        {
            Console.WriteLine($"Purged {reply.Purged} dead letters.");
            return 0;
        }
        if (request.Requeue.Length > 0)
        {
            Console.WriteLine(reply.Requeued > 0 ? $"Requeued {request.Requeue}." : $"No dead letter {request.Requeue}.");
            return reply.Requeued > 0 ? 0 : 1;
        }
        var pages = Math.Max(1, (reply.Total + request.Limit - 1) / request.Limit);
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
}
