using System.Text;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Cluster.IntegrationTests.Workers;

/// <summary>
/// The worker protocol as an outside worker meets it, over the raw Workers stream: what hello must
/// declare, the credits it grants and their bound, one live connection per worker id, assignments
/// that fit in 4 MiB messages, and leases taken from a worker that stopped heartbeating.
/// </summary>
public abstract class WorkerStreamTests<TFixture>(TFixture cluster) where TFixture : ClusterFixture
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromMilliseconds(300);

    protected TFixture Cluster { get; } = cluster;

    [SkippableFact]
    public async Task SecondConnection_WithALiveWorkersId_GetsAlreadyExists_AndTheFirstKeepsItsTasks()
    {
        Cluster.Require();
        var name = RawWorker.NewId("dup");
        var id = RawWorker.NewId("w");
        await using var first = await RawWorker.ConnectAsync(Cluster, RawWorker.Hello(id, name, threads: 5, threadCredits: 5), Heartbeat);
        var session = await SubmitAsync(name, 5);
        await TaskTimeouts.Eventually(() => Task.FromResult(first.Assigned.Count == 5), "the first connection holds 5 tasks");

        await using (var second = await RawWorker.ConnectAsync(Cluster, RawWorker.Hello(id, name, threads: 5), Heartbeat))
        {
            var refused = await second.Ended.WithTimeout();
            Assert.Equal(StatusCode.AlreadyExists, refused.StatusCode);
            Assert.Contains($"worker id '{id}' is held by another live connection", refused.Detail, StringComparison.Ordinal);
        }

        await first.AnswerAsync(first.Assigned, "42");
        var completions = await CompletionsAsync(session, 5);
        Assert.All(completions, c => Assert.Equal(1, c.Attempt));
        Assert.All(completions, c => Assert.Equal(id, c.Worker));
        Assert.All(completions, c => Assert.Equal("42", c.Result.ToStringUtf8()));
        Assert.False(first.Ended.IsCompleted);
    }

    public static TheoryData<string, string> BadHellos => new()
    {
        { "threads", "hello's threads is -5; it must be from 0 to 1000000." },
        { "kind", "has execution kind 7, which is not one of THREAD_POOL (1) or COROUTINE (2)." },
        { "duplicate", "twice." },
        { "credits", "thread_credits is -1000; credits must not be negative." },
        { "backoff", "backoff_ms (2147483647) and backoff_max_ms (0) may be at most 86400000 (1 day)." },
    };

    [SkippableTheory]
    [MemberData(nameof(BadHellos))]
    public async Task Hello_WithAnInvalidDeclaration_GetsInvalidArgumentNamingTheProblem(string what, string expected)
    {
        Cluster.Require();
        var name = RawWorker.NewId("bad");
        var hello = RawWorker.Hello(RawWorker.NewId("w"), name, threads: 2);
        switch (what)
        {
            case "threads":
                hello.Hello.Threads = -5;
                break;
            case "kind":
                hello.Hello.Handlers[0].Kind = (ExecutionKind)7;
                break;
            case "duplicate":
                hello.Hello.Handlers.Add(new HandlerInfo { Name = name, Kind = ExecutionKind.Coroutine });
                break;
            case "credits":
                hello.ThreadCredits = -1000;
                break;
            case "backoff":
                hello.Hello.Handlers[0].Policy = new RetryPolicy { BackoffMs = int.MaxValue };
                break;
        }
        await using var worker = await RawWorker.ConnectAsync(Cluster, hello);

        var status = await worker.Ended.WithTimeout();

        Assert.Equal(StatusCode.InvalidArgument, status.StatusCode);
        Assert.Contains(expected, status.Detail, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task NegativeCredits_AfterHello_GetInvalidArgument()
    {
        Cluster.Require();
        await using var worker = await RawWorker.ConnectAsync(Cluster, RawWorker.Hello(RawWorker.NewId("w"), RawWorker.NewId("neg"), threads: 2), Heartbeat);

        await worker.SendAsync(new WorkerMessage { CoroutineCredits = -1 });

        var status = await worker.Ended.WithTimeout();
        Assert.Equal(StatusCode.InvalidArgument, status.StatusCode);
        Assert.Equal("coroutine_credits is -1; credits must not be negative.", status.Detail);
    }

    [SkippableFact]
    public async Task Credits_AreBoundedByTheCapacityTheHelloDeclares()
    {
        Cluster.Require();
        var name = RawWorker.NewId("bound");
        await SubmitAsync(name, 10);
        await using var worker = await RawWorker.ConnectAsync(Cluster, RawWorker.Hello(RawWorker.NewId("w"), name, threads: 2, threadCredits: int.MaxValue), Heartbeat);

        // Leased in one step of as many tasks as credits: 8 left in the queue means 2 credits counted.
        await WaitForAsync(name, queued: 8, worker, assigned: 2);

        // One answer frees one slot, however many credits come with it.
        var answer = new WorkerMessage { ThreadCredits = int.MaxValue };
        var done = worker.Assigned[0];
        answer.Results.Add(new TaskResult { TaskId = done.TaskId, Session = done.Session, Attempt = done.Attempt, Value = ByteString.CopyFromUtf8("0") });
        await worker.SendAsync(answer);

        await WaitForAsync(name, queued: 7, worker, assigned: 3);
        Assert.False(worker.Ended.IsCompleted);
    }

    [SkippableFact]
    public async Task Hello_WithoutCredits_GrantsTheCapacityItDeclares_AndWelcomeCarriesTheResultLimit()
    {
        Cluster.Require();
        var name = RawWorker.NewId("first");
        await SubmitAsync(name, 5);

        await using var worker = await RawWorker.ConnectAsync(Cluster, RawWorker.Hello(RawWorker.NewId("w"), name, threads: 3), Heartbeat);

        await WaitForAsync(name, queued: 2, worker, assigned: 3);
        var welcome = worker.Received[0].Welcome;
        Assert.NotNull(welcome);
        Assert.Equal(4 * 1024 * 1024 - 64 * 1024, welcome.MaxResultBytes);
    }

    [SkippableFact]
    public async Task ResultForATaskTheConnectionDoesNotHold_GetsInvalidArgument()
    {
        Cluster.Require();
        await using var worker = await RawWorker.ConnectAsync(Cluster, RawWorker.Hello(RawWorker.NewId("w"), RawWorker.NewId("nothing"), threads: 2), Heartbeat);

        await worker.AnswerAsync([new Assignment { TaskId = "someone-elses.1", Session = "someone-elses", Attempt = 1 }]);

        var status = await worker.Ended.WithTimeout();
        Assert.Equal(StatusCode.InvalidArgument, status.StatusCode);
        Assert.Contains("a result for task 'someone-elses.1' at attempt 1, a lease this connection does not hold", status.Detail, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task LargeArguments_ReachAWorkerWithDefaultLimits_InMessagesOfAtMost4MiB()
    {
        Cluster.Require();
        var name = RawWorker.NewId("big");
        var session = RawWorker.NewId("s");
        var json = "[\"" + new string('x', 1_000_000) + "\"]";
        for (var i = 0; i < 20; i++)
        {
            await SubmitAsync(name, 1, session, first: i, json);
        }

        await using var worker = await RawWorker.ConnectAsync(Cluster, RawWorker.Hello(RawWorker.NewId("w"), name, threads: 20, threadCredits: 20), Heartbeat);

        await TaskTimeouts.Eventually(() => Task.FromResult(worker.Assigned.Count == 20 || worker.Ended.IsCompleted), "the worker holds all 20 tasks");
        Assert.False(worker.Ended.IsCompleted, worker.Ended.IsCompleted ? worker.Ended.Result.ToString() : null);
        Assert.Equal(20, worker.Assigned.Select(a => a.TaskId).Distinct().Count());
        var carrying = worker.Received.Where(m => m.Assignments.Count > 0).ToList();
        Assert.True(carrying.Count >= 5, $"20 tasks of 1 MB came in {carrying.Count} messages");
        Assert.All(carrying, m => Assert.InRange(m.CalculateSize(), 1, 4 * 1024 * 1024));
    }

    [SkippableFact]
    public async Task WorkerThatStopsHeartbeating_IsToldItsTasksAreRevoked_ThenAborted_AndTheTasksRunElsewhere()
    {
        Cluster.Require();
        var id = RawWorker.NewId("silent");
        await using var silent = await RawWorker.ConnectAsync(Cluster, RawWorker.Hello(id, "echo", coroutines: 50, kind: ExecutionKind.Coroutine, coroutineCredits: 50));
        await using var executor = Cluster.NewExecutor();
        var futures = new List<Cluster.Client.ClusterFuture<string>>();
        await TaskTimeouts.Eventually(() =>
        {
            // The daemon's own worker competes for the same tasks: submit until the silent one holds some.
            for (var i = 0; i < 20; i++)
            {
                futures.Add(executor.Submit<string>("echo", "x" + futures.Count));
            }
            return Task.FromResult(silent.Assigned.Count > 0 || silent.Ended.IsCompleted);
        }, "the silent worker holds tasks");

        var status = await silent.Ended.WithTimeout();

        var held = silent.Assigned.Select(a => a.TaskId).ToHashSet();
        Assert.NotEmpty(held);
        Assert.Equal(StatusCode.Aborted, status.StatusCode);
        Assert.Contains($"the lease of worker '{id}' expired", status.Detail, StringComparison.Ordinal);
        Assert.Contains($"its {held.Count} tasks went back to their queues", status.Detail, StringComparison.Ordinal);
        var revoked = Assert.Single(silent.Received, m => m.Revoked.Count > 0);
        Assert.Equal(held, revoked.Revoked.ToHashSet());
        var results = await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout();
        Assert.Equal(futures.Select((_, i) => "x" + i), results);
        Assert.All(futures, f => Assert.NotEqual(id, f.WorkerId));
    }

    /// <summary>Submits <paramref name="count"/> tasks of <paramref name="name"/> over the raw Tasks service; returns the session.</summary>
    private async Task<string> SubmitAsync(string name, int count, string? session = null, int first = 0, string json = "[]")
    {
        session ??= RawWorker.NewId("s");
        var request = new SubmitRequest { Session = session };
        for (var i = first; i < first + count; i++)
        {
            request.Tasks.Add(new TaskSpec { Id = $"{session}.{i}", Name = name, Args = ByteString.CopyFrom(Encoding.UTF8.GetBytes(json)) });
        }
        var reply = await Cluster.Tasks.SubmitAsync(request).ResponseAsync.WithTimeout();
        Assert.Empty(reply.Rejected);
        return session;
    }

    private Task WaitForAsync(string name, long queued, RawWorker worker, int assigned) =>
        TaskTimeouts.Eventually(async () =>
            worker.Assigned.Count == assigned && (await Cluster.Admin.StatusAsync(new StatusRequest())).Queues.Any(q => q.Name == name && q.Queued == queued),
            $"{queued} tasks of {name} are queued and the worker holds {assigned}");

    private async Task<List<Completion>> CompletionsAsync(string session, int count)
    {
        using var stream = Cluster.Tasks.Completions(new CompletionsRequest { Session = session });
        var completions = new List<Completion>();
        while (completions.Count < count)
        {
            Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None).WithTimeout());
            completions.AddRange(stream.ResponseStream.Current.Completions);
        }
        return completions;
    }
}

public sealed class EmbeddedStoreWorkerStreamTests(ShortLeaseEmbeddedCluster cluster) : WorkerStreamTests<ShortLeaseEmbeddedCluster>(cluster), IClassFixture<ShortLeaseEmbeddedCluster>;

public sealed class RedisWorkerStreamTests(ShortLeaseRedisCluster cluster) : WorkerStreamTests<ShortLeaseRedisCluster>(cluster), IClassFixture<ShortLeaseRedisCluster>;
