using System.Text;
using Cluster.Cli.Settings;
using Cluster.Contracts;
using Cluster.Protocol.V1;

namespace Cluster.Cli.Commands;

/// <summary><c>cluster task ID</c>: one task's state, attempts and a preview of its result.</summary>
internal static class TaskCommand
{
    // A result is printed up to this many characters: it may be megabytes.
    private const int PreviewChars = 200;

    public static async Task<int> RunAsync(SettingValues values, CancellationToken cancellationToken)
    {
        var id = values.Argument;
        if (string.IsNullOrWhiteSpace(id))
        {
            throw new UsageException("Give the task's id: `cluster task ID`.");
        }
        var coordinator = values.Get(ClusterOptions.Coordinator)!;
        using var channel = ClusterChannel.Create(coordinator, ClientToken.Security(values));
        // An unknown id: NOT_FOUND, which names it, is the command's one line of failure.
        var tasks = new Protocol.V1.Tasks.TasksClient(channel);
        var reply = await tasks.AttachAsync(new AttachRequest { TaskId = id, Peek = true }, cancellationToken: cancellationToken);
        if (reply.Completion is null && values.Get(ClusterOptions.Wait))
        {
            await Console.Error.WriteLineAsync($"{id} is {reply.State}: waiting for it to finish");
            await WaitAsync(coordinator, ClientToken.Security(values), id, cancellationToken);
            reply = await tasks.AttachAsync(new AttachRequest { TaskId = id, Peek = true }, cancellationToken: cancellationToken);
        }
        var c = reply.Completion;
        var state = c is null ? reply.State
            : c.DeadLettered ? "dead-lettered"
            : c.OutcomeCase switch { Completion.OutcomeOneofCase.Cancelled => "cancelled", Completion.OutcomeOneofCase.Error => "failed", _ => "succeeded" };
        var attempts = c is null
            ? reply.Errors.Select(e => new Attempt(e.Attempt, null, e.Type, e.Message)).ToList()
            : Attempts(c);
        var result = c?.OutcomeCase == Completion.OutcomeOneofCase.Result ? Preview(c.Result.ToStringUtf8()) : null;
        var due = c is null && reply.NotBeforeUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(reply.NotBeforeUnixMs) : (DateTimeOffset?)null;
        if (values.Get(ClusterOptions.Json))
        {
            JsonOutput.Write(new
            {
                taskId = id,
                state,
                name = c is null ? reply.Name : null,
                attempt = c?.Attempt ?? reply.Attempt,
                due = due?.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                worker = c is null ? Empty(reply.Worker) : Empty(c.Worker),
                attempts = attempts.Select(a => new { attempt = a.Number, worker = a.Worker, type = a.Type, message = a.Message }),
                result,
                resultBytes = c?.OutcomeCase == Completion.OutcomeOneofCase.Result ? c.Result.Length : (int?)null,
            });
            return 0;
        }
        var line = new StringBuilder($"{id}  {state}");
        if (c is null && reply.Name.Length > 0)
        {
            line.Append($"  {reply.Name}");
        }
        line.Append($"  attempt {c?.Attempt ?? reply.Attempt}");
        if (due is { } at)
        {
            line.Append(System.Globalization.CultureInfo.InvariantCulture, $"  due {at:yyyy-MM-dd HH:mm:ss.fff}Z (in {Math.Max(0, (at - DateTimeOffset.UtcNow).TotalSeconds):0.#} s)");
        }
        if (Empty(c is null ? reply.Worker : c.Worker) is { } worker)
        {
            line.Append($"  worker {worker}");
        }
        Console.WriteLine(line);
        foreach (var a in attempts)
        {
            Console.WriteLine($"    attempt {a.Number}{(a.Worker is null ? string.Empty : " on " + a.Worker)}: {a.Type}: {a.Message}");
        }
        if (result is not null)
        {
            Console.WriteLine($"    result ({c!.Result.Length} bytes): {result}");
        }
        return 0;
    }

    /// <summary>Waits for the task to finish as a future attached to it would: its completion comes by the store's push, not by asking again.</summary>
    private static async Task WaitAsync(Uri coordinator, ChannelSecurity security, string id, CancellationToken cancellationToken)
    {
        await using var executor = new Client.ClusterExecutor(coordinator.ToString(), new Client.ClusterExecutorOptions { Token = security.Token, TlsCa = security.TlsCaFile });
        var future = executor.Attach(id);
        try
        {
            await future.AsTask().WaitAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Failed or cancelled: the look that follows prints how.
        }
    }

    /// <summary>Every failed attempt's error, and the last one's with the worker that ran it.</summary>
    private static List<Attempt> Attempts(Completion c)
    {
        var list = c.Attempts.Select(e => new Attempt(e.Attempt, null, e.Type, e.Message)).ToList();
        if (c.Error is { } last && !list.Any(a => a.Number == last.Attempt && a.Type == last.Type))
        {
            list.Add(new Attempt(last.Attempt, Empty(c.Worker), last.Type, last.Message));
        }
        return list;
    }

    /// <summary>The result's JSON on one line, cut to a preview, control characters shown as escapes.</summary>
    private static string Preview(string json)
    {
        var text = new StringBuilder();
        foreach (var ch in json.Length > PreviewChars ? json[..PreviewChars] : json)
        {
            text.Append(char.IsControl(ch) ? $"\\u{(int)ch:x4}" : ch);
        }
        if (json.Length > PreviewChars)
        {
            text.Append($"… ({json.Length - PreviewChars} more characters)");
        }
        return text.ToString();
    }

    private static string? Empty(string text) => text.Length == 0 ? null : text;

    private sealed record Attempt(int Number, string? Worker, string Type, string Message);
}
