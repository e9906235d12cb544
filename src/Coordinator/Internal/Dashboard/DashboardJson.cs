using System.Text.Json;
using Cluster.Coordinator.Internal.Store;
using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal.Dashboard;

/// <summary>The state a page is pushed, as one JSON document; the page's script renders it.</summary>
internal static class DashboardJson
{
    /// <summary>Most characters of a dead letter's arguments and of an error message shown.</summary>
    public const int Preview = 200;

    /// <summary>The state pushed to the pages.</summary>
    /// <param name="status">The admin status: queues and workers.</param>
    /// <param name="letters">The page of dead letters shown.</param>
    /// <param name="deadLetters">How many dead letters there are in all.</param>
    /// <param name="changes">Each queue's depth change per second since the last state.</param>
    /// <param name="figures">The cluster's rates (in all and per task name), run times, latency and failures, as the store counts them.</param>
    /// <param name="schedules">The recurring schedules, by id.</param>
    /// <param name="now">This coordinator's clock.</param>
    /// <param name="staleAfter">A worker whose last heartbeat is older stands out (it may be gone).</param>
    public static byte[] Render(StatusReply status, DeadLettersReply letters, long deadLetters, IReadOnlyDictionary<string, double> changes, DashboardStats.Figures figures, IReadOnlyList<ScheduleState> schedules, DateTime now, TimeSpan staleAfter)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("at", new DateTimeOffset(now).ToUnixTimeMilliseconds());
            json.WriteString("store", status.Store);
            json.WriteNumber("staleAfterMs", (long)staleAfter.TotalMilliseconds);
            json.WriteStartObject("totals");
            json.WriteNumber("queued", status.Queues.Sum(q => q.Queued));
            json.WriteNumber("running", status.Workers.Sum(w => w.Leased));
            json.WriteNumber("workers", status.Workers.Count);
            json.WriteNumber("deadLetters", deadLetters);
            json.WriteNumber("submitted", Round(DashboardStats.Figures.Rate(figures.Submitted)));
            json.WriteNumber("completed", Round(DashboardStats.Figures.Rate(figures.Completed)));
            json.WriteNumber("failed", Round(DashboardStats.Figures.Rate(figures.Failed)));
            WriteOptional(json, "runMs", figures.MeanRunMs is { } run ? Round(run) : null);
            WriteOptional(json, "latencyP50Ms", figures.LatencyP50Ms);
            WriteOptional(json, "latencyP99Ms", figures.LatencyP99Ms);
            json.WriteNumber("latencySamples", figures.LatencySamples);
            json.WriteEndObject();

            // Per second, the oldest first, up to the last settled second: the rate charts.
            json.WriteStartObject("series");
            json.WriteNumber("last", figures.Second);
            WriteSeries(json, "submitted", figures.Submitted);
            WriteSeries(json, "completed", figures.Completed);
            WriteSeries(json, "failed", figures.Failed);
            json.WriteEndObject();

            json.WriteStartArray("queues");
            foreach (var queue in status.Queues)
            {
                json.WriteStartObject();
                json.WriteString("name", queue.Name);
                // A routing queue other than the default, whose workers are those listening to it.
                if (queue.Queue is { Length: > 0 } routed && routed != "default")
                {
                    json.WriteString("queue", routed);
                }
                json.WriteNumber("queued", queue.Queued);
                json.WriteBoolean("waiting", queue.Waiting);
                json.WriteBoolean("noListener", queue.NoListener);
                // The whole cluster's, from the store's counters: a name they lack had none, unless a bucket was
                // full of names (then its rates are not known).
                if (figures.Names.TryGetValue(queue.Name, out var rate) || figures.NamesComplete)
                {
                    json.WriteNumber("in", Round(rate.In));
                    json.WriteNumber("out", Round(rate.Out));
                    WriteOptional(json, "runMs", rate.MeanRunMs is { } nameRun ? Round(nameRun) : null);
                }
                json.WriteNumber("change", Round(changes.GetValueOrDefault(DashboardRates.Route(queue))));
                json.WriteEndObject();
            }
            json.WriteEndArray();

            json.WriteStartArray("workers");
            foreach (var worker in status.Workers)
            {
                json.WriteStartObject();
                json.WriteString("id", worker.WorkerId);
                json.WriteString("host", worker.Host);
                json.WriteNumber("pid", worker.ProcessId);
                json.WriteNumber("threads", worker.Threads);
                json.WriteNumber("threadsBusy", worker.ThreadsBusy);
                json.WriteNumber("coroutines", worker.Coroutines);
                json.WriteNumber("coroutinesBusy", worker.CoroutinesBusy);
                json.WriteString("version", worker.Version);
                json.WriteNumber("running", worker.Leased);
                json.WriteNumber("heartbeatAgeMs", Math.Max(0, new DateTimeOffset(now).ToUnixTimeMilliseconds() - worker.HeartbeatUnixMs));
                json.WriteString("tasks", string.Join(", ", worker.Tasks));
                json.WriteEndObject();
            }
            json.WriteEndArray();

            // The recurring schedules of every identity (the page is an admin's), by id.
            json.WriteStartArray("schedules");
            foreach (var schedule in schedules)
            {
                json.WriteStartObject();
                json.WriteString("id", schedule.Definition.Id);
                json.WriteString("cron", schedule.Definition.Cron);
                json.WriteString("timeZone", schedule.Definition.TimeZone);
                json.WriteString("task", schedule.Definition.Task);
                json.WriteNumber("next", schedule.NextTick);
                if (schedule.Last is { } last)
                {
                    json.WriteNumber("last", last.Tick);
                    json.WriteString("lastTaskId", last.TaskId);
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();

            json.WriteStartArray("deadLetters");
            foreach (var letter in letters.Letters)
            {
                json.WriteStartObject();
                json.WriteString("id", letter.TaskId);
                json.WriteString("name", letter.Name);
                json.WriteNumber("attempt", letter.Attempt);
                json.WriteString("reason", letter.Reason);
                json.WriteNumber("at", letter.AtUnixMs);
                json.WriteNumber("argsBytes", letter.Args.Length);
                json.WriteString("args", Cut(letter.Args.ToStringUtf8()));
                WriteErrors(json, letter.Errors);
                json.WriteEndObject();
            }
            json.WriteEndArray();

            // Failures by error type: failed runs over the last minutes (the store's counters, every
            // coordinator's), and among the dead letters shown each letter's last error, with an example.
            var lettersByType = letters.Letters.Where(l => l.Errors.Count > 0).GroupBy(l => l.Errors[^1].Type, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (Count: g.Count(), Example: g.First().Errors[^1].Message), StringComparer.Ordinal);
            json.WriteStartArray("failureTypes");
            foreach (var type in figures.FailureTypes.Keys.Union(lettersByType.Keys, StringComparer.Ordinal)
                .OrderByDescending(t => figures.FailureTypes.GetValueOrDefault(t)).ThenByDescending(t => lettersByType.GetValueOrDefault(t).Count).ThenBy(t => t, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("type", type);
                json.WriteNumber("recent", figures.FailureTypes.GetValueOrDefault(type));
                json.WriteNumber("count", lettersByType.GetValueOrDefault(type).Count);
                json.WriteString("example", Cut(lettersByType.GetValueOrDefault(type).Example ?? string.Empty));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>One task as the store holds it, for the page's lookup by id.</summary>
    public static byte[] Task(string id, TaskDescription task)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("id", id);
            var outcome = task.Outcome;
            json.WriteString("state", task.Header switch
            {
                { State: 'q' } => "queued",
                { State: 'l' } => "running",
                { State: 'r' } => "waiting out a retry backoff",
                { State: 'd' } => "delayed: waiting for its time",
                null when task.DeadLetter is not null => "dead-lettered",
                null when outcome is { OutcomeCase: Completion.OutcomeOneofCase.Result } => "completed",
                null when outcome is { OutcomeCase: Completion.OutcomeOneofCase.Error } => "failed",
                null when outcome is { OutcomeCase: Completion.OutcomeOneofCase.Cancelled } => "cancelled",
                null => "not in the store: finished longer ago than the retention, or never submitted",
                { State: var other } => "state " + other,
            });
            json.WriteString("name", task.Header?.Name ?? task.DeadLetter?.Name ?? string.Empty);
            json.WriteNumber("attempt", task.Header?.Attempt ?? task.DeadLetter?.Attempt ?? outcome?.Attempt ?? 0);
            json.WriteString("worker", task.Header?.Worker is { Length: > 0 } running ? running : outcome?.Worker ?? string.Empty);
            json.WriteNumber("lostRuns", task.Header?.Lost ?? 0);
            json.WriteNumber("failedRuns", task.Header?.Failed ?? task.Errors.Count);
            json.WriteStartObject("timings");
            WriteOptional(json, "submitted", task.SubmittedAtMs);
            WriteOptional(json, "finished", task.FinishedAtMs ?? task.DeadLetter?.AtUnixMs);
            json.WriteEndObject();
            if (task.DeadLetter is { } letter)
            {
                json.WriteString("reason", letter.Reason);
                json.WriteNumber("deadAt", letter.AtUnixMs);
            }
            if (outcome is { OutcomeCase: Completion.OutcomeOneofCase.Result })
            {
                json.WriteNumber("resultBytes", outcome.Result.Length);
            }
            // A finished task's arguments go with it: only its completion is kept.
            json.WriteBoolean("argsKept", task.Header is not null || task.DeadLetter is not null);
            json.WriteNumber("argsBytes", task.ArgsBytes);
            json.WriteString("args", task.ArgsPreview.Length < task.ArgsBytes ? task.ArgsPreview + "…" : task.ArgsPreview);
            WriteErrors(json, task.Errors, task.ErrorWorkers);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Every attempt's error: its attempt, the worker that ran it (when known), type and the start of its message (no stack traces on the page).</summary>
    private static void WriteErrors(Utf8JsonWriter json, IEnumerable<TaskError> errors, IReadOnlyList<string>? workers = null)
    {
        json.WriteStartArray("errors");
        var i = 0;
        foreach (var error in errors)
        {
            json.WriteStartObject();
            json.WriteNumber("attempt", error.Attempt);
            json.WriteString("worker", workers is not null && i < workers.Count ? workers[i] : string.Empty);
            json.WriteString("type", error.Type);
            json.WriteString("message", Cut(error.Message));
            json.WriteEndObject();
            i++;
        }
        json.WriteEndArray();
    }

    /// <summary>A safe preview: at most <see cref="Preview"/> characters (the page escapes them as text).</summary>
    public static string Cut(string text) => text.Length <= Preview ? text : text[..Preview] + "…";

    private static double Round(double value) => Math.Round(value, 1);

    private static void WriteOptional(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void WriteSeries(Utf8JsonWriter json, string name, long[] series)
    {
        json.WriteStartArray(name);
        foreach (var n in series)
        {
            json.WriteNumberValue(n);
        }
        json.WriteEndArray();
    }
}
