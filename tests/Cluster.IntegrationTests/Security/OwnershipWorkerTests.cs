using Cluster.IntegrationTests.Infrastructure;
using Cluster.IntegrationTests.Workers;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using static Cluster.IntegrationTests.Security.OwnershipCalls;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// A worker acts only on the leases its connection holds: a result or a notice for any other task
/// or attempt is refused, and a result or notice goes to the session of its lease, whatever
/// session the worker names. And a dead letter an admin puts back runs again without a second
/// completion for its client. Raw workers over the contract, on both stores.
/// </summary>
public abstract class OwnershipWorkerTests<TFixture>(TFixture cluster) where TFixture : ClusterFixture
{
    [SkippableFact]
    public async Task AResult_ForATaskAnotherConnectionHolds_EndsTheStream_AndTheHolderStillResolvesIt()
    {
        cluster.Require();
        var name = RawWorker.NewId("own");
        await using var holder = await RawWorker.ConnectAsync(cluster, RawWorker.Hello(RawWorker.NewId("holder"), name, threads: 4));
        await using var intruder = await RawWorker.ConnectAsync(cluster, RawWorker.Hello(RawWorker.NewId("intruder"), RawWorker.NewId("other"), threads: 4));
        var session = NewSession();
        using var stream = cluster.Tasks.Completions(new CompletionsRequest { Session = session });
        var task = await SubmitAndLeaseAsync(holder, session, name, "t");

        await intruder.AnswerAsync([task], "\"pwned\"");

        var ended = await intruder.Ended.WithTimeout();
        Assert.Equal(StatusCode.InvalidArgument, ended.StatusCode);
        await holder.AnswerAsync([task], "\"mine\"");
        var read = await ReadUntilAsync(stream, b => b.Completions.Any(c => c.TaskId == task.TaskId));
        Assert.Equal("\"mine\"", read.SelectMany(b => b.Completions).Single(c => c.TaskId == task.TaskId).Result.ToStringUtf8());
    }

    [SkippableFact]
    public async Task AResult_AtAnAttemptTheConnectionDoesNotHold_EndsTheStream()
    {
        cluster.Require();
        var name = RawWorker.NewId("own");
        await using var worker = await RawWorker.ConnectAsync(cluster, RawWorker.Hello(RawWorker.NewId("w"), name, threads: 4));
        var task = await SubmitAndLeaseAsync(worker, NewSession(), name, "t");

        var forged = new WorkerMessage { ThreadCredits = 1 };
        forged.Results.Add(new TaskResult { TaskId = task.TaskId, Session = task.Session, Attempt = task.Attempt + 1, Value = ByteString.CopyFromUtf8("0") });
        await worker.SendAsync(forged);

        var ended = await worker.Ended.WithTimeout();
        Assert.Equal(StatusCode.InvalidArgument, ended.StatusCode);
        Assert.Contains($"attempt {task.Attempt + 1}", ended.Detail, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task AResult_ThatNamesAnotherSession_GoesToTheSessionOfItsLease()
    {
        cluster.Require();

        var (toOwner, toOther, task, marker) = await ClaimTheOtherSessionAsync(
            (task, marker, other) =>
            {
                var message = new WorkerMessage { ThreadCredits = 2 };
                message.Results.Add(new TaskResult { TaskId = task.TaskId, Session = other, Attempt = task.Attempt, Value = ByteString.CopyFromUtf8("\"redirected\"") });
                message.Results.Add(new TaskResult { TaskId = marker.TaskId, Session = other, Attempt = marker.Attempt, Value = ByteString.CopyFromUtf8("0") });
                return message;
            },
            batch => batch.Completions.Select(c => c.TaskId));

        Assert.Equal([marker.TaskId], toOther.SelectMany(b => b.Completions).Select(c => c.TaskId));
        Assert.Equal((task.TaskId, "\"redirected\""), toOwner.SelectMany(b => b.Completions).Select(c => (c.TaskId, c.Result.ToStringUtf8())).Single());
    }

    [SkippableFact]
    public async Task Notices_ForATaskTheConnectionDoesNotHold_AreDropped()
    {
        cluster.Require();
        var name = RawWorker.NewId("own");
        var otherName = RawWorker.NewId("own");
        await using var holder = await RawWorker.ConnectAsync(cluster, RawWorker.Hello(RawWorker.NewId("holder"), name, threads: 4));
        await using var intruder = await RawWorker.ConnectAsync(cluster, RawWorker.Hello(RawWorker.NewId("intruder"), otherName, threads: 4));
        var session = NewSession();
        using var stream = cluster.Tasks.Completions(new CompletionsRequest { Session = session });
        var task = await SubmitAndLeaseAsync(holder, session, name, "t");
        var own = await SubmitAndLeaseAsync(intruder, session, otherName, "own");

        // A forged progress and a started notice for the holder's task, then a true one for its own.
        var message = new WorkerMessage();
        message.Events.Add(Notice(task, session, "forged"));
        message.Events.Add(new TaskEvent { TaskId = task.TaskId, Session = session, Attempt = task.Attempt, Started = new Started() });
        message.Events.Add(Notice(own, session, "true"));
        await intruder.SendAsync(message);

        var read = await ReadUntilAsync(stream, b => b.Events.Any(e => e.TaskId == own.TaskId));
        Assert.DoesNotContain(read.SelectMany(b => b.Events), e => e.TaskId == task.TaskId);
        Assert.Equal("true", read.SelectMany(b => b.Events).Single().Progress.Message);
        // The intruder's stream goes on: a dropped notice is no protocol error.
        await intruder.AnswerAsync([own]);
        await ReadUntilAsync(stream, b => b.Completions.Any(c => c.TaskId == own.TaskId));
        Assert.False(intruder.Ended.IsCompleted);
    }

    [SkippableFact]
    public async Task ANotice_ThatNamesAnotherSession_GoesToTheSessionOfItsLease()
    {
        cluster.Require();

        var (toOwner, toOther, task, marker) = await ClaimTheOtherSessionAsync(
            (task, marker, other) => new WorkerMessage { Events = { Notice(task, other, "redirected"), Notice(marker, other, "marker") } },
            batch => batch.Events.Select(e => e.TaskId));

        Assert.Equal([marker.TaskId], toOther.SelectMany(b => b.Events).Select(e => e.TaskId));
        var notice = toOwner.SelectMany(b => b.Events).Single();
        Assert.Equal((task.TaskId, task.Session, "redirected"), (notice.TaskId, notice.Session, notice.Progress.Message));
    }

    /// <summary>
    /// A worker holds a task of one session (the owner's) and a marker task of another, and sends
    /// <paramref name="claim"/>: messages that name the other session for both. Reads each session's
    /// stream until the ids <paramref name="idsOf"/> a message names include its task: what each got.
    /// </summary>
    private async Task<(List<CompletionBatch> ToOwner, List<CompletionBatch> ToOther, Assignment Task, Assignment Marker)> ClaimTheOtherSessionAsync(
        Func<Assignment, Assignment, string, WorkerMessage> claim, Func<CompletionBatch, IEnumerable<string>> idsOf)
    {
        var name = RawWorker.NewId("own");
        await using var worker = await RawWorker.ConnectAsync(cluster, RawWorker.Hello(RawWorker.NewId("w"), name, threads: 4));
        var (owner, other) = (NewSession(), NewSession());
        using var ownerStream = cluster.Tasks.Completions(new CompletionsRequest { Session = owner });
        using var otherStream = cluster.Tasks.Completions(new CompletionsRequest { Session = other });
        var task = await SubmitAndLeaseAsync(worker, owner, name, "t");
        var marker = await SubmitAndLeaseAsync(worker, other, name, "marker");

        // The owner's task comes first in the message: to the other session, it would come before the marker.
        await worker.SendAsync(claim(task, marker, other));

        var toOther = await ReadUntilAsync(otherStream, b => idsOf(b).Contains(marker.TaskId));
        var toOwner = await ReadUntilAsync(ownerStream, b => idsOf(b).Contains(task.TaskId));
        return (toOwner, toOther, task, marker);
    }

    [SkippableFact]
    public async Task ARequeuedDeadLetter_ThatSucceeds_WritesNoSecondCompletion()
    {
        cluster.Require();
        var (session, worker, task) = await DeadLetterAndRequeueAsync();
        await using var _ = worker;

        await FinishRerunAsync(worker, session, task, succeed: true);

        var completions = await CompletionsUntilMarkerAsync(session);
        var only = Assert.Single(completions, c => c.TaskId == task);
        Assert.True(only.DeadLettered);
    }

    [SkippableFact]
    public async Task ARequeuedDeadLetter_ThatFailsAgain_IsListedAgain_AndWritesNoSecondCompletion()
    {
        cluster.Require();
        var (session, worker, task) = await DeadLetterAndRequeueAsync();
        await using var _ = worker;

        await FinishRerunAsync(worker, session, task, succeed: false);

        var completions = await CompletionsUntilMarkerAsync(session);
        Assert.True(Assert.Single(completions, c => c.TaskId == task).DeadLettered);
        await TaskTimeouts.Eventually(async () =>
            (await cluster.Admin.DeadLettersAsync(new DeadLettersRequest { Limit = 1000 })).Letters.Any(l => l.TaskId == task),
            "the re-run's failure is a dead letter again");
    }

    /// <summary>
    /// A task of a raw worker's own name fails on its one attempt (its client gets the dead letter),
    /// and an admin requeues it: the worker is sent it again.
    /// </summary>
    private async Task<(string Session, RawWorker Worker, string TaskId)> DeadLetterAndRequeueAsync()
    {
        var name = RawWorker.NewId("own");
        var hello = RawWorker.Hello(RawWorker.NewId("w"), name, threads: 4);
        // The name's policy (a requeued task has no policy of its own left): any error is retried, on one attempt.
        hello.Hello.Handlers[0].Policy = new RetryPolicy { MaxAttempts = 1, RetryOn = { "*" } };
        var worker = await RawWorker.ConnectAsync(cluster, hello);
        try
        {
            var session = NewSession();
            return (session, worker, await DeadLetterAndRequeueAsync(worker, session, name));
        }
        catch
        {
            await worker.DisposeAsync();
            throw;
        }
    }

    private async Task<string> DeadLetterAndRequeueAsync(RawWorker worker, string session, string name)
    {
        var spec = Spec(session + ".doomed", name);
        Assert.Empty((await SubmitAsync(session, spec)).Rejected);
        var first = await LeasedAsync(worker, spec.Id, attempts: 1);
        await worker.SendAsync(Failure(first));
        using (var stream = cluster.Tasks.Completions(new CompletionsRequest { Session = session }))
        {
            var read = await ReadUntilAsync(stream, b => b.Completions.Any(c => c.TaskId == spec.Id));
            Assert.True(read.SelectMany(b => b.Completions).Single().DeadLettered);
        }

        Assert.Equal(1, (await cluster.Admin.DeadLettersAsync(new DeadLettersRequest { Requeue = spec.Id }).ResponseAsync.WithTimeout()).Requeued);
        await LeasedAsync(worker, spec.Id, attempts: 2);
        return spec.Id;
    }

    /// <summary>
    /// Answers the re-run of <paramref name="taskId"/>, and then a marker task of the same session:
    /// committed after it, so the marker's completion comes after any the re-run wrote.
    /// </summary>
    private async Task FinishRerunAsync(RawWorker worker, string session, string taskId, bool succeed)
    {
        var rerun = worker.Assigned.Where(a => a.TaskId == taskId).MaxBy(a => a.Attempt)!;
        if (succeed)
        {
            await worker.AnswerAsync([rerun], "\"again\"");
        }
        else
        {
            await worker.SendAsync(Failure(rerun));
        }
        var marker = await SubmitAndLeaseAsync(worker, session, rerun.Name, "marker");
        await worker.AnswerAsync([marker]);
    }

    /// <summary>The session's completions from the start of its outbox, up to its marker task's.</summary>
    private async Task<List<Completion>> CompletionsUntilMarkerAsync(string session)
    {
        using var stream = cluster.Tasks.Completions(new CompletionsRequest { Session = session });
        var read = await ReadUntilAsync(stream, b => b.Completions.Any(c => c.TaskId == session + ".marker"));
        return [.. read.SelectMany(b => b.Completions)];
    }

    private static WorkerMessage Failure(Assignment task)
    {
        var message = new WorkerMessage { ThreadCredits = 1 };
        message.Results.Add(new TaskResult
        {
            TaskId = task.TaskId,
            Session = task.Session,
            Attempt = task.Attempt,
            Error = new TaskError { Type = "System.IO.IOException", Message = "disk", Attempt = task.Attempt },
        });
        return message;
    }

    private static TaskEvent Notice(Assignment task, string session, string text) =>
        new() { TaskId = task.TaskId, Session = session, Attempt = task.Attempt, Progress = new Progress { Fraction = 0.5, Message = text } };

    private static TaskSpec Spec(string id, string name) =>
        new() { Id = id, Name = name, Args = ByteString.CopyFromUtf8("[1]") };

    /// <summary>Submits a task of <paramref name="name"/> as <c>session.suffix</c> and waits until <paramref name="worker"/> is sent it.</summary>
    private async Task<Assignment> SubmitAndLeaseAsync(RawWorker worker, string session, string name, string suffix)
    {
        var spec = Spec(session + "." + suffix, name);
        Assert.Empty((await SubmitAsync(session, spec)).Rejected);
        return await LeasedAsync(worker, spec.Id, attempts: 1);
    }

    private static async Task<Assignment> LeasedAsync(RawWorker worker, string taskId, int attempts)
    {
        await TaskTimeouts.Eventually(() => Task.FromResult(worker.Assigned.Count(a => a.TaskId == taskId) >= attempts), $"the worker is sent task {taskId} ({attempts} times)");
        return worker.Assigned.Where(a => a.TaskId == taskId).MaxBy(a => a.Attempt)!;
    }

    private Task<SubmitReply> SubmitAsync(string session, params TaskSpec[] tasks) => OwnershipCalls.SubmitAsync(cluster.Tasks, session, tasks);

}

public sealed class EmbeddedStoreOwnershipWorkerTests(OwnershipEmbeddedCluster cluster)
    : OwnershipWorkerTests<OwnershipEmbeddedCluster>(cluster), IClassFixture<OwnershipEmbeddedCluster>;

public sealed class RedisServerOwnershipWorkerTests(OwnershipRedisCluster cluster)
    : OwnershipWorkerTests<OwnershipRedisCluster>(cluster), IClassFixture<OwnershipRedisCluster>;
