using Cluster.Coordinator.Internal.Schedules;
using Cluster.Coordinator.Internal.Security;
using Cluster.Coordinator.Internal.Store;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Cluster.Coordinator.Internal.Services;

/// <summary>
/// Recurring schedules: add or replace, remove, list. A schedule's id is scoped by the caller's
/// identity as task ids are (<see cref="Scope"/>), so an identity sees and changes only its own, and
/// its ticks' tasks are in its namespace too (any client of the identity may attach to them).
/// </summary>
internal sealed class SchedulesService(TaskStore store, CoordinatorOptions options) : Protocol.V1.Schedules.SchedulesBase
{
    /// <summary>A schedule id's length at most: its ticks' task ids ("sched:" + id + ":" + tick) stay identifiers.</summary>
    private const int MaxIdLength = 100;

    public override async Task<ScheduleAddOrUpdateReply> AddOrUpdate(ScheduleAddOrUpdateRequest request, ServerCallContext context)
    {
        RequireId(request.Id);
        var args = request.Args.IsEmpty ? "[]" : request.Args.ToStringUtf8();
        var problem = ScheduleCron.Problem(request.Cron, request.TimeZone, out var cron)
            ?? Validation.Identifier("task name", request.Task)
            ?? Validation.JsonArguments(request.Task, request.Args.IsEmpty ? "[]"u8 : request.Args.Span, options.MaxPayloadBytes);
        if (problem is not null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"schedule '{request.Id}': {problem}"));
        }
        var scope = Scope.Of(context);
        var schedule = new ScheduleDefinition(scope.In(request.Id), request.Cron.Trim(), request.TimeZone, request.Task, args);
        // The first tick after the store's clock now: every coordinator counts ticks by that clock.
        var first = cron!.NextAfter(await store.Schedules.NowAsync().ConfigureAwait(false));
        await store.Schedules.PutAsync(schedule, first).ConfigureAwait(false);
        var state = new ScheduleState(schedule, first, await store.Schedules.LastRunAsync(schedule.Id).ConfigureAwait(false));
        return new ScheduleAddOrUpdateReply { Schedule = await InfoAsync(scope, state).ConfigureAwait(false) };
    }

    public override async Task<ScheduleRemoveReply> Remove(ScheduleRemoveRequest request, ServerCallContext context)
    {
        RequireId(request.Id);
        return new ScheduleRemoveReply { Removed = await store.Schedules.RemoveAsync(Scope.Of(context).In(request.Id)).ConfigureAwait(false) };
    }

    public override async Task<ScheduleListReply> List(ScheduleListRequest request, ServerCallContext context)
    {
        var scope = Scope.Of(context);
        var reply = new ScheduleListReply();
        foreach (var state in await store.Schedules.ListAsync(scope.In(string.Empty)).ConfigureAwait(false))
        {
            // The anonymous identity's list holds no identity's schedules.
            if (!scope.IsScoped && state.Definition.Id.Contains(CallerIdentity.ScopeSeparator, StringComparison.Ordinal))
            {
                continue;
            }
            reply.Schedules.Add(await InfoAsync(scope, state).ConfigureAwait(false));
        }
        return reply;
    }

    /// <summary>The schedule as the caller names it, with what became of its last tick's task.</summary>
    private async Task<ScheduleInfo> InfoAsync(Scope scope, ScheduleState state)
    {
        var d = state.Definition;
        var info = new ScheduleInfo
        {
            Id = scope.Out(d.Id),
            Cron = d.Cron,
            Task = d.Task,
            Args = ByteString.CopyFromUtf8(d.Args),
            TimeZone = d.TimeZone,
            NextRunUnixMs = Math.Max(0, state.NextTick),
        };
        if (state.Last is { } last)
        {
            info.LastRunUnixMs = last.Tick;
            info.LastTaskId = scope.Out(last.TaskId);
            info.LastOutcome = await OutcomeAsync(last.TaskId).ConfigureAwait(false);
        }
        return info;
    }

    /// <summary>What became of a tick's task: its state while in the store, its outcome once finished.</summary>
    private async Task<string> OutcomeAsync(string taskId)
    {
        var (completion, pending) = await store.PeekAsync(taskId).ConfigureAwait(false);
        if (completion is not null)
        {
            return completion.DeadLettered ? "dead-lettered"
                : completion.OutcomeCase switch { Completion.OutcomeOneofCase.Cancelled => "cancelled", Completion.OutcomeOneofCase.Error => "failed", _ => "succeeded" };
        }
        return pending?.State switch { 'l' => "running", 'r' => "retrying", 'd' => "delayed", 'q' => "queued", _ => "unknown" };
    }

    private static void RequireId(string id)
    {
        var problem = Validation.Identifier("schedule id", id);
        if (problem is null && id.Length > MaxIdLength)
        {
            problem = $"schedule id '{id[..40]}...' is {id.Length} characters long; the limit is {MaxIdLength}.";
        }
        if (problem is not null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, problem));
        }
    }
}
