using Cluster.Contracts;
using Cluster.Coordinator.Internal.Security;
using Cluster.Coordinator.Internal.Store;
using Cluster.Protocol.V1;
using Grpc.Core;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Services;

/// <summary>
/// The client-facing service: submit, cancel, and each session's completion stream. Sessions, task
/// ids and idempotency keys are the caller's own: each is scoped by its identity
/// (<see cref="Scope"/>) before it reaches the store or the notifier, and every id sent back loses
/// that scope again, so an identity reaches only its own namespace, whatever ids it names.
/// </summary>
internal sealed partial class TasksService(TaskStore store, Notifier notifier, CoordinatorOptions options, Telemetry.CoordinatorMetrics metrics) : Protocol.V1.Tasks.TasksBase
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
                ?? (task.IdempotencyKey.Length > 0 ? Validation.Identifier("idempotency key", task.IdempotencyKey) : null)
                ?? (task.NotBeforeUnixMs != 0 ? Validation.NotBefore(task.Name, task.NotBeforeUnixMs) : null)
                ?? (task.Inputs.Count > 0 ? Validation.Inputs(task) : null)
                ?? Telemetry.StoredTrace.Problem(task)
                ?? Validation.Order(task);
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
            var scope = Scope.Of(context);
            if (scope.IsScoped)
            {
                // The caller's namespace: the request's tasks are ours to change, and ids go back unscoped below.
                foreach (var task in valid)
                {
                    task.Id = scope.In(task.Id);
                    if (task.IdempotencyKey.Length > 0)
                    {
                        task.IdempotencyKey = scope.In(task.IdempotencyKey);
                    }
                    for (var j = 0; j < task.Inputs.Count; j++)
                    {
                        task.Inputs[j] = scope.In(task.Inputs[j]);
                    }
                }
            }
            // Tasks that take futures as arguments are stored after the others: their inputs may be among them.
            var graph = TakeGraphTasks(valid, positions);
            var outcome = valid.Count > 0 ? await StoreAsync(scope.In(request.Session), valid).ConfigureAwait(false) : new SubmitOutcome([], []);
            metrics.Submitted(valid, outcome);
            foreach (var (index, queued) in outcome.Full)
            {
                reply.Rejected.Add(new Rejection
                {
                    Index = positions[index],
                    TaskId = scope.Out(valid[index].Id),
                    Code = nameof(StatusCode.ResourceExhausted),
                    Message = $"queue '{valid[index].Name}' holds {queued} tasks; the limit is {options.MaxQueued}",
                });
            }
            foreach (var (duplicate, holder) in outcome.Refused)
            {
                var task = valid[duplicate];
                // The key's holder is in the caller's namespace (the key is): never another identity's task.
                var id = scope.Out(task.Id);
                var existing = scope.Out(holder);
                reply.Rejected.Add(new Rejection
                {
                    Index = positions[duplicate],
                    TaskId = id,
                    Code = nameof(StatusCode.AlreadyExists),
                    ExistingTaskId = existing,
                    Message = holder.Length > 0
                        ? $"idempotency key '{scope.Out(task.IdempotencyKey)}' belongs to task '{existing}'; no second task was created."
                        : $"task id '{id}' is already in use.",
                });
            }
            if (graph is not null)
            {
                await SubmitGraphAsync(scope, scope.In(request.Session), graph, reply).ConfigureAwait(false);
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
        // A worker takes the tasks at once only when it serves every route (name and queue) of them.
        var names = new List<string>(1);
        foreach (var task in tasks)
        {
            var route = Store.Routes.Of(task);
            if (!names.Contains(route))
            {
                names.Add(route);
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
            var scope = Scope.Of(context);
            IReadOnlyList<string> ids = scope.IsScoped ? [.. request.TaskIds.Select(scope.In)] : request.TaskIds;
            // Only the caller's own tasks: another identity's session and ids are not in its namespace.
            if (request.AnySession)
            {
                await CancelInAnySessionAsync(ids, request.Interrupt, reply).ConfigureAwait(false);
                return reply;
            }
            var (cancelled, interrupted) = await store.CancelAsync(scope.In(request.Session), ids, request.Interrupt).ConfigureAwait(false);
            reply.Cancelled.AddRange(cancelled);
            reply.Interrupted.AddRange(interrupted);
        }
        return reply;
    }

    public override async Task Completions(CompletionsRequest request, IServerStreamWriter<CompletionBatch> responseStream, ServerCallContext context)
    {
        RequireIdentifier("session", request.Session);
        var cancellationToken = context.CancellationToken;
        var scope = Scope.Of(context);
        // The caller's own session only: another identity naming it watches an empty one of its own.
        var session = scope.In(request.Session);
        var watch = notifier.Watch(session);
        try
        {
            var cursor = request.AfterSeq;
            // The store faults this stream has told its client of: a new stream tells them at once
            // (an empty first message when there were none), so the client has a count to compare with.
            var faultsSent = -1L;
            while (!cancellationToken.IsCancellationRequested)
            {
                watch.Wake.Reset();
                var faults = notifier.StoreFaults;
                var batch = new CompletionBatch { StoreFaults = faults };
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
                        (completions, var more) = await store.ReadCompletionBatchAsync(session, cursor, CompletionBatchSize, room).ConfigureAwait(false);
                        if (more)
                        {
                            watch.MarkStale(); // more to read
                        }
                    }
                }
                batch.Completions.AddRange(completions);
                if (batch.Completions.Count == 0 && batch.Events.Count == 0 && faults == faultsSent)
                {
                    // Woken by a hand-over or a notice; the interval only guards against a lost notice.
                    if (!await watch.Wake.WaitAsync(SafetyInterval, cancellationToken).ConfigureAwait(false))
                    {
                        watch.MarkStale();
                    }
                    continue;
                }
                HopTrace.MarkEach("coordinator.delivered", completions, static c => c.TaskId);
                if (scope.IsScoped)
                {
                    Unscope(scope, batch);
                }
                await responseStream.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
                faultsSent = faults;
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
            notifier.Unwatch(session, watch);
        }
    }

    /// <summary>
    /// Cancels each task (scoped ids) in the session that submitted it, as its header names it. The
    /// cancel script checks the session again, so a task that finished meanwhile is left alone.
    /// </summary>
    private async Task CancelInAnySessionAsync(IReadOnlyList<string> ids, bool interrupt, CancelReply reply)
    {
        var cancelled = new bool[ids.Count];
        var interrupted = new bool[ids.Count];
        var bySession = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < ids.Count; i++)
        {
            var (_, session) = await store.LookupAsync(ids[i]).ConfigureAwait(false);
            if (session is not null)
            {
                if (!bySession.TryGetValue(session, out var list))
                {
                    bySession[session] = list = [];
                }
                list.Add(i);
            }
        }
        foreach (var (session, positions) in bySession)
        {
            var (c, r) = await store.CancelAsync(session, [.. positions.Select(p => ids[p])], interrupt).ConfigureAwait(false);
            for (var j = 0; j < positions.Count; j++)
            {
                cancelled[positions[j]] = c[j];
                interrupted[positions[j]] = r[j];
            }
        }
        reply.Cancelled.AddRange(cancelled);
        reply.Interrupted.AddRange(interrupted);
    }

    public override async Task<AttachReply> Attach(AttachRequest request, ServerCallContext context)
    {
        RequireIdentifier("task id", request.TaskId);
        var scope = Scope.Of(context);
        // Only the caller's own tasks: another identity's id is not in its namespace.
        var id = scope.In(request.TaskId);
        var cancellationToken = context.CancellationToken;
        if (request.Peek)
        {
            return await PeekAsync(request.TaskId, id).ConfigureAwait(false);
        }
        var (completion, session) = await store.LookupAsync(id).ConfigureAwait(false);
        if (session is not null)
        {
            var signal = new Signal();
            var watched = session;
            notifier.Attach(watched, signal);
            try
            {
                while (completion is null)
                {
                    signal.Reset();
                    (completion, session) = await store.LookupAsync(id).ConfigureAwait(false);
                    if (completion is not null || session is null)
                    {
                        break;
                    }
                    // woken by a completion of the task's session, or re-read on the safety interval
                    await signal.WaitAsync(SafetyInterval, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                notifier.Unattach(watched, signal);
            }
        }
        if (completion is null)
        {
            throw Unknown(request.TaskId);
        }
        completion.TaskId = request.TaskId;
        completion.Seq = 0;
        return new AttachReply { Completion = completion, State = "finished" };
    }

    /// <summary>Where the task stands now, finished or not (scoped id <paramref name="id"/>, named <paramref name="taskId"/> by the caller).</summary>
    private async Task<AttachReply> PeekAsync(string taskId, string id)
    {
        var (completion, pending) = await store.PeekAsync(id).ConfigureAwait(false);
        if (completion is not null)
        {
            completion.TaskId = taskId;
            completion.Seq = 0;
            return new AttachReply { Completion = completion, State = "finished" };
        }
        if (pending is null)
        {
            throw Unknown(taskId);
        }
        var reply = new AttachReply
        {
            State = pending.State switch { 'l' => "running", 'r' => "retrying", 'd' => "delayed", 'w' => "waiting", _ => "queued" },
            Name = pending.Name,
            Attempt = pending.Attempt,
            Worker = pending.Worker,
        };
        if (pending.State is 'd' or 'r' && await store.DueAtAsync(id).ConfigureAwait(false) is { } due)
        {
            reply.NotBeforeUnixMs = due;
        }
        reply.Errors.AddRange(await store.ErrorsAsync(id).ConfigureAwait(false));
        return reply;
    }

    private RpcException Unknown(string taskId) => new(new Status(StatusCode.NotFound,
        $"task '{taskId}' is unknown: never submitted by this identity, or finished longer ago than the coordinator's retention ({options.Retention.TotalSeconds:0} s, --retention)"));

    public override async Task<AckReply> Ack(AckRequest request, ServerCallContext context)
    {
        RequireIdentifier("session", request.Session);
        // Acknowledged: the client holds these completions, so the store may forget them.
        await store.AckAsync(Scope.Of(context).In(request.Session), request.UpToSeq).ConfigureAwait(false);
        return new AckReply();
    }

    /// <summary>
    /// Takes the scope off every id of a message about to be written, in place. Safe: each
    /// completion and notice in it belongs to this stream alone — one read from the store for it,
    /// or handed over to this session's watch only and taken out of it (<see cref="SessionWatch.TakeFollowing"/>,
    /// <see cref="SessionWatch.DrainEventsInto"/>) — so no other path sees it afterwards.
    /// </summary>
    private static void Unscope(Scope scope, CompletionBatch batch)
    {
        foreach (var completion in batch.Completions)
        {
            completion.TaskId = scope.Out(completion.TaskId);
            if (scope.IsScoped && completion.Error is { Type: GraphScripts.DependencyFailed } error)
            {
                // It names its input as kept (scoped): the caller knows the id unscoped.
                error.Message = error.Message.Replace(scope.In(string.Empty), string.Empty, StringComparison.Ordinal);
            }
        }
        foreach (var e in batch.Events)
        {
            e.TaskId = scope.Out(e.TaskId);
            e.Session = scope.Out(e.Session);
        }
    }

    private static void RequireIdentifier(string what, string value)
    {
        if (Validation.Identifier(what, value) is { } problem)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, problem));
        }
    }
}
