using Cluster.Contracts;
using Cluster.Coordinator.Internal.Store;
using Cluster.Protocol.V1;
using Grpc.Core;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Services;

/// <summary>The client-facing service: submit, cancel, and each session's completion stream.</summary>
internal sealed class TasksService(TaskStore store, Notifier notifier, CoordinatorOptions options) : Protocol.V1.Tasks.TasksBase
{
    private const int CompletionBatchSize = 1024;
    // A batch of more task names than this waits in the queues (one worker rarely runs them all).
    private const int MaxHandoffNames = 8;
    private static readonly TimeSpan SafetyInterval = TimeSpan.FromSeconds(2);

    public override async Task<SubmitReply> Submit(SubmitRequest request, ServerCallContext context)
    {
        if (request.Tasks.Count > options.MaxBatchTasks)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"a submit holds {request.Tasks.Count} tasks; the limit is {options.MaxBatchTasks} per call (--max-batch)"));
        }
        HopTrace.MarkEach("coordinator.received", request.Tasks, static t => t.Id);
        RequireIdentifier("session", request.Session);
        var reply = new SubmitReply();
        var valid = new List<TaskSpec>(request.Tasks.Count);
        var positions = new List<int>(request.Tasks.Count);
        for (var i = 0; i < request.Tasks.Count; i++)
        {
            var task = request.Tasks[i];
            var problem = Validation.Identifier("task id", task.Id)
                ?? Validation.Identifier("task name", task.Name)
                ?? Validation.JsonArguments(task.Name, task.Args.Span, options.MaxPayloadBytes)
                ?? Policies.Problem(task.Policy)
                ?? (task.IdempotencyKey.Length > 0 ? Validation.Identifier("idempotency key", task.IdempotencyKey) : null);
            if (problem is null)
            {
                valid.Add(task);
                positions.Add(i);
            }
            else
            {
                reply.Rejected.Add(new Rejection { Index = i, TaskId = task.Id, Code = nameof(StatusCode.InvalidArgument), Message = problem });
            }
        }
        if (valid.Count > 0)
        {
            var outcome = await StoreAsync(request.Session, valid).ConfigureAwait(false);
            foreach (var (index, queued) in outcome.Full)
            {
                reply.Rejected.Add(new Rejection
                {
                    Index = positions[index],
                    TaskId = valid[index].Id,
                    Code = nameof(StatusCode.ResourceExhausted),
                    Message = $"queue '{valid[index].Name}' holds {queued} tasks; the limit is {options.MaxQueued}",
                });
            }
            foreach (var (duplicate, holder) in outcome.Refused)
            {
                var task = valid[duplicate];
                reply.Rejected.Add(new Rejection
                {
                    Index = positions[duplicate],
                    TaskId = task.Id,
                    Code = nameof(StatusCode.AlreadyExists),
                    ExistingTaskId = holder,
                    Message = holder.Length > 0
                        ? $"idempotency key '{task.IdempotencyKey}' belongs to task '{holder}'; no second task was created."
                        : $"task id '{task.Id}' is already in use.",
                });
            }
        }
        return reply;
    }

    /// <summary>
    /// Stores the tasks and, when a worker connected here has free slots for them, leases them to
    /// it in the same step: they skip the queue and its wake-up.
    /// </summary>
    private async Task<SubmitOutcome> StoreAsync(string session, List<TaskSpec> tasks)
    {
        var names = new List<string>(1);
        foreach (var task in tasks)
        {
            if (!names.Contains(task.Name))
            {
                names.Add(task.Name);
            }
            if (names.Count > MaxHandoffNames)
            {
                return await store.SubmitAsync(session, tasks).ConfigureAwait(false);
            }
        }
        if (notifier.BeginHandoff(names, Math.Min(tasks.Count, WorkerConnection.MaxLeaseBatch)) is not var (worker, kind, reserved))
        {
            return await store.SubmitAsync(session, tasks).ConfigureAwait(false);
        }
        List<Assignment> handed = [];
        try
        {
            var outcome = await store.SubmitAsync(session, tasks, worker.Id, reserved).ConfigureAwait(false);
            handed = outcome.Handed;
            return outcome;
        }
        catch (Exception e) when (e is not RedisServerException)
        {
            // No reply, but the script may have run and leased tasks the worker will never be
            // sent: they go back to their queues, unsent and uncharged. The client retries.
            worker.ReclaimUnsent();
            throw;
        }
        finally
        {
            worker.Assign(handed, kind, reserved);
            worker.EndHandoff();
        }
    }

    public override async Task<CancelReply> Cancel(CancelRequest request, ServerCallContext context)
    {
        RequireIdentifier("session", request.Session);
        foreach (var id in request.TaskIds)
        {
            RequireIdentifier("task id", id);
        }
        var reply = new CancelReply();
        if (request.TaskIds.Count > 0)
        {
            var (cancelled, interrupted) = await store.CancelAsync(request.Session, request.TaskIds, request.Interrupt).ConfigureAwait(false);
            reply.Cancelled.AddRange(cancelled);
            reply.Interrupted.AddRange(interrupted);
        }
        return reply;
    }

    public override async Task Completions(CompletionsRequest request, IServerStreamWriter<CompletionBatch> responseStream, ServerCallContext context)
    {
        RequireIdentifier("session", request.Session);
        var cancellationToken = context.CancellationToken;
        var watch = notifier.Watch(request.Session);
        try
        {
            var cursor = request.AfterSeq;
            while (!cancellationToken.IsCancellationRequested)
            {
                watch.Wake.Reset();
                var batch = new CompletionBatch();
                // Notices first: a started notice never overtakes its task's completion (those past
                // their share of the message go first in the next one).
                List<Completion>? completions = [];
                if (!watch.DrainEventsInto(batch, SessionWatch.MaxEventBytesPerBatch))
                {
                    // No message over gRPC's default limit: the rest of it holds completions (a single
                    // one always fits: results are bounded by MaxResultBytes, errors cut when committed).
                    var room = WireLimits.MaxMessageBytes - batch.CalculateSize();
                    // Completions this coordinator wrote come handed over; the store is read only to fill a gap.
                    completions = watch.TakeFollowing(cursor, CompletionBatchSize, room);
                    if (completions is null)
                    {
                        (completions, var more) = await store.ReadCompletionBatchAsync(request.Session, cursor, CompletionBatchSize, room).ConfigureAwait(false);
                        if (more)
                        {
                            watch.MarkStale(); // more to read
                        }
                    }
                }
                batch.Completions.AddRange(completions);
                if (batch.Completions.Count == 0 && batch.Events.Count == 0)
                {
                    // Woken by a hand-over or a notice; the interval only guards against a lost notice.
                    if (!await watch.Wake.WaitAsync(SafetyInterval, cancellationToken).ConfigureAwait(false))
                    {
                        watch.MarkStale();
                    }
                    continue;
                }
                HopTrace.MarkEach("coordinator.delivered", completions, static c => c.TaskId);
                await responseStream.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
                if (completions.Count > 0)
                {
                    cursor = completions[^1].Seq;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away; its completions stay in the store until it acknowledges them.
        }
        finally
        {
            notifier.Unwatch(request.Session, watch);
        }
    }

    public override async Task<AckReply> Ack(AckRequest request, ServerCallContext context)
    {
        RequireIdentifier("session", request.Session);
        // Acknowledged: the client holds these completions, so the store may forget them.
        await store.AckAsync(request.Session, request.UpToSeq).ConfigureAwait(false);
        return new AckReply();
    }

    private static void RequireIdentifier(string what, string value)
    {
        if (Validation.Identifier(what, value) is { } problem)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, problem));
        }
    }
}
