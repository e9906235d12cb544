using Cluster.Coordinator.Internal.Store;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.Coordinator.Internal.Schedules;

/// <summary>
/// Submits each recurring schedule's task once per tick, on every coordinator at once: each loop
/// asks the store what is due by the store's clock, computes the schedule's next tick (Cronos), and
/// claims the tick with a compare-and-set script; the one coordinator that wins it submits the
/// tick's task under an id made of the schedule and the tick, so a submit made again (after a
/// coordinator stopped between the claim and the submit, when another takes the claim up) is
/// refused by its id and a tick never runs twice. Ticks missed while no coordinator ran (more than
/// 10 s late): the earliest runs once, and the next tick is the first after the store's clock now.
/// </summary>
internal sealed partial class ScheduleLoop(TaskStore store, Notifier notifier, ILogger<ScheduleLoop> logger) : BackgroundService
{
    // Schedules taken up per look at most; more are looked at again at once.
    private const int Batch = 100;
    // Looked at again at least this often: a lost notice, or a store that was away.
    private static readonly TimeSpan SafetyInterval = TimeSpan.FromSeconds(5);
    // A tick this late is missed (no coordinator ran): later ones up to now are skipped. A tick less
    // late (a slow pass, a pause) still runs, so a short stall loses no tick.
    private static readonly TimeSpan MissedAfter = TimeSpan.FromSeconds(10);
    // A claimed tick whose task is not marked stored this long after is submitted again (its id makes that harmless).
    private static readonly TimeSpan UnsentAfter = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            notifier.SchedulesChanged.Reset();
            var wait = SafetyInterval;
            try
            {
                var found = await store.Schedules.DueAsync(Batch, UnsentAfter).ConfigureAwait(false);
                foreach (var id in found.Unsent)
                {
                    await SubmitAgainAsync(id).ConfigureAwait(false);
                }
                foreach (var (id, tick) in found.Due)
                {
                    await RunTickAsync(id, tick, found.Now).ConfigureAwait(false);
                }
                if (found.Due.Count > 0)
                {
                    // Their next ticks are set now: look again at once for when the earliest falls.
                    wait = TimeSpan.Zero;
                }
                else if (found.Next is { } next && next < wait)
                {
                    wait = next;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(e);
            }
            if (wait > TimeSpan.Zero)
            {
                await notifier.SchedulesChanged.WaitAsync(wait, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Claims the schedule's tick and, when this coordinator won it, submits its task.</summary>
    private async Task RunTickAsync(string id, long tick, long now)
    {
        if (await store.Schedules.GetAsync(id).ConfigureAwait(false) is not { } schedule)
        {
            return;
        }
        var next = -1L;
        if (ScheduleCron.Problem(schedule.Cron, schedule.TimeZone, out var cron) is null)
        {
            next = cron!.NextAfter(tick);
            if (next >= 0 && next < now - (long)MissedAfter.TotalMilliseconds)
            {
                // Ticks missed while no coordinator ran: this one runs once, the others are skipped.
                next = cron.NextAfter(now);
            }
        }
        if (await store.Schedules.ClaimAsync(schedule, tick, next).ConfigureAwait(false))
        {
            await SubmitAsync(schedule, tick).ConfigureAwait(false);
        }
    }

    /// <summary>A tick claimed by a coordinator that stopped before its task was stored: submitted again.</summary>
    private async Task SubmitAgainAsync(string id)
    {
        if (await store.Schedules.GetAsync(id).ConfigureAwait(false) is { } schedule
            && await store.Schedules.LastRunAsync(id).ConfigureAwait(false) is { } last)
        {
            await SubmitAsync(schedule, last.Tick).ConfigureAwait(false);
        }
    }

    private async Task SubmitAsync(ScheduleDefinition schedule, long tick)
    {
        var spec = new TaskSpec { Id = schedule.TaskId(tick), Name = schedule.Task, Args = ByteString.CopyFromUtf8(schedule.Args) };
        var outcome = await store.SubmitAsync(schedule.Session, [spec]).ConfigureAwait(false);
        if (outcome.Full.Count > 0)
        {
            // Not stored: its queue is full. The claim stays unsent and is taken up again.
            LogQueueFull(schedule.Id, tick, schedule.Task);
            return;
        }
        // Durable: the tick's task is in the store (or was already: its id is taken).
        await store.Schedules.SentAsync(schedule.Id, tick).ConfigureAwait(false);
        // No client reads a schedule's completions (they are kept as results, for Attach and the
        // list): its outbox is trimmed as ticks go by.
        await store.AckAsync(schedule.Session, long.MaxValue).ConfigureAwait(false);
        LogSubmitted(schedule.Id, tick, spec.Id);
    }

    [LoggerMessage(EventId = 900, Level = LogLevel.Debug, Message = "Schedule {ScheduleId}: tick {Tick} submitted as task {TaskId}")]
    private partial void LogSubmitted(string scheduleId, long tick, string taskId);

    [LoggerMessage(EventId = 901, Level = LogLevel.Warning, Message = "Schedule {ScheduleId}: the task of tick {Tick} waits for room in queue {Name}")]
    private partial void LogQueueFull(string scheduleId, long tick, string name);

    [LoggerMessage(EventId = 902, Level = LogLevel.Warning, Message = "Schedule loop pass failed")]
    private partial void LogFailed(Exception exception);
}
