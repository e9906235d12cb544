using System.Collections.Concurrent;
using System.Text;
using Cluster.Client;
using Cluster.Contracts;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Cluster.SampleTasks.Contracts;
using Google.Protobuf;
using Grpc.Core;

namespace Cluster.IntegrationTests;

/// <summary>
/// The whole path — client SDK, coordinator, store, worker daemon and its worker processes — as real
/// processes over real gRPC. Runs once on the embedded store and once on a real redis-server.
/// </summary>
public abstract class EndToEndTests<TFixture>(TFixture cluster) where TFixture : ClusterFixture
{
    protected TFixture Cluster { get; } = cluster;

    [SkippableFact]
    public async Task TenThousandTasks_AllResolveWithTheRightResults_OnEveryWorkerProcess()
    {
        Cluster.Require();
        await using var executor = Cluster.NewExecutor();
        var callbacks = 0;
        var futures = new List<ClusterFuture<long>>();
        for (var i = 0; i < 10_000; i++)
        {
            var future = executor.Submit<long>("add", i, 3L * i);
            future.AddDoneCallback(_ => Interlocked.Increment(ref callbacks));
            futures.Add(future);
        }

        var results = await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout();

        Assert.Equal(Enumerable.Range(0, 10_000).Select(i => 4L * i), results);
        await TaskTimeouts.Eventually(() => Task.FromResult(Volatile.Read(ref callbacks) == 10_000), "every done-callback ran");
        Assert.Equal(Cluster.Processes, futures.Select(f => f.WorkerId).Distinct().Count());
    }

    [SkippableFact]
    public async Task ThreadPoolTasks_RunOnTheThreadPool_AndAsyncTasks_OnTheCoroutineLoop()
    {
        Cluster.Require();
        await using var executor = Cluster.NewExecutor();
        var sync = Enumerable.Range(0, 100).Select(_ => executor.Submit<WhoAmI>("whoami")).ToList();
        var async = Enumerable.Range(0, 100).Select(_ => executor.Submit<WhoAmI>("whoami_async")).ToList();

        var onPool = await Task.WhenAll(sync.Select(f => f.AsTask())).WithTimeout();
        var onLoop = await Task.WhenAll(async.Select(f => f.AsTask())).WithTimeout();

        Assert.All(onPool, w => Assert.Equal("ThreadPool", w.Executor));
        Assert.All(onPool, w => Assert.StartsWith("cluster-pool-", w.Thread, StringComparison.Ordinal));
        Assert.All(onLoop, w => Assert.Equal("CoroutineLoop", w.Executor));
        Assert.All(onLoop, w => Assert.Equal("cluster-coroutine-loop", w.Thread));
        Assert.All(onPool.Concat(onLoop), w => Assert.NotEqual(Cluster.ClusterProcessId, w.ProcessId));
        Assert.All(sync.Concat(async).Zip(onPool.Concat(onLoop)), p => Assert.Contains($"-{p.Second.ProcessId}-", p.First.WorkerId, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task HandlerException_ResolvesTheFuture_WithRemoteTaskException()
    {
        Cluster.Require();
        await using var executor = Cluster.NewExecutor();
        var failing = executor.Submit<int>("fail", "boom");
        var fine = executor.Submit<long>("add", 1, 2);

        var error = await Assert.ThrowsAsync<RemoteTaskException>(() => failing.AsTask().WithTimeout());

        Assert.Equal("System.InvalidOperationException", error.RemoteType);
        Assert.Equal("boom", error.RemoteMessage);
        Assert.Contains("Fail", error.RemoteStackTrace, StringComparison.Ordinal);
        Assert.Equal(failing.Id, error.TaskId);
        Assert.Equal(1, error.Attempt);
        Assert.Same(error, failing.GetException(TimeSpan.FromSeconds(1)));
        Assert.Equal(3, await fine.AsTask().WithTimeout());
    }

    [SkippableFact]
    public async Task TaskThatNoWorkerHandles_Waits_AndShowsAsWaitingInStatus()
    {
        Cluster.Require();
        await using var executor = Cluster.NewExecutor();
        var name = "nobody_" + Guid.NewGuid().ToString("N")[..8];
        var future = executor.Submit<int>(name);

        await TaskTimeouts.Eventually(async () =>
        {
            var status = await Cluster.Admin.StatusAsync(new StatusRequest());
            return status.Queues.Any(q => q.Name == name && q.Waiting && q.Queued == 1);
        }, $"status shows {name} waiting");

        Assert.False(future.Done);
        Assert.True(await future.CancelAsync().WithTimeout());
    }

    [SkippableFact]
    public async Task MalformedSubmits_GetInvalidArgument_NamingTheProblem_AndTheRestOfTheBatchRuns()
    {
        Cluster.Require();
        var session = "raw" + Guid.NewGuid().ToString("N")[..12];
        var request = new SubmitRequest { Session = session };
        request.Tasks.Add(Spec(session + ".1", "add", "[1, 2]"));
        request.Tasks.Add(Spec(session + ".2", "add", "[1, "));
        request.Tasks.Add(Spec(session + ".3", "add", "{\"a\": 1}"));
        request.Tasks.Add(Spec(session + ".4", "", "[]"));
        request.Tasks.Add(Spec(session + ".5", "bad name!", "[]"));
        request.Tasks.Add(Spec("", "add", "[]"));
        request.Tasks.Add(Spec(session + ".1", "add", "[5, 5]"));

        var reply = await Cluster.Tasks.SubmitAsync(request).ResponseAsync.WithTimeout();

        var rejected = reply.Rejected.ToDictionary(r => r.Index);
        Assert.Equal([1, 2, 3, 4, 5, 6], rejected.Keys.Order());
        Assert.Contains("not valid JSON", rejected[1].Message, StringComparison.Ordinal);
        Assert.Contains("must be a JSON array", rejected[2].Message, StringComparison.Ordinal);
        Assert.Equal("task name is empty.", rejected[3].Message);
        Assert.Contains("task name 'bad name!'", rejected[4].Message, StringComparison.Ordinal);
        Assert.Equal("task id is empty.", rejected[5].Message);
        Assert.Equal("AlreadyExists", rejected[6].Code);
        Assert.All(rejected.Values.Where(r => r.Index < 6), r => Assert.Equal("InvalidArgument", r.Code));

        using var stream = Cluster.Tasks.Completions(new CompletionsRequest { Session = session });
        var completions = new List<Completion>();
        while (completions.Count == 0)
        {
            // Started notices may come first, in batches of their own.
            Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None).WithTimeout());
            completions.AddRange(stream.ResponseStream.Current.Completions);
        }
        var completion = Assert.Single(completions);
        Assert.Equal(session + ".1", completion.TaskId);
        Assert.Equal("3", completion.Result.ToStringUtf8());
    }

    [SkippableFact]
    public async Task BadSession_OrBadWorkerHello_GetsInvalidArgument()
    {
        Cluster.Require();
        var submit = await Assert.ThrowsAsync<RpcException>(() => Cluster.Tasks.SubmitAsync(new SubmitRequest { Session = "" }).ResponseAsync.WithTimeout());
        Assert.Equal(StatusCode.InvalidArgument, submit.StatusCode);
        Assert.Equal("session is empty.", submit.Status.Detail);

        using var call = Cluster.Workers.Connect();
        await call.RequestStream.WriteAsync(new WorkerMessage { Hello = new Hello { WorkerId = "w-" + Guid.NewGuid().ToString("N") } }).WithTimeout();
        var hello = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WithTimeout());
        Assert.Equal(StatusCode.InvalidArgument, hello.StatusCode);
        Assert.Equal("hello names no task handlers.", hello.Status.Detail);

        // The coordinator goes on serving.
        await using var executor = Cluster.NewExecutor();
        Assert.Equal(7, await executor.Submit<long>("add", 3, 4).AsTask().WithTimeout());
    }

    [SkippableFact]
    public async Task PayloadOverTheLimit_IsRejectedWithTheLimitInTheMessage_AndOthersRun()
    {
        Cluster.Require();
        await using var executor = Cluster.NewExecutor();
        var big = executor.Submit<string>("echo", new string('x', 5 * 1024 * 1024));
        var small = executor.Submit<string>("echo", "small");

        var error = await Assert.ThrowsAsync<TaskRejectedException>(() => big.AsTask().WithTimeout());

        Assert.Equal("InvalidArgument", error.Code);
        Assert.Contains($"the limit is {WireLimits.MaxPayloadBytes} bytes", error.Message, StringComparison.Ordinal);
        Assert.Equal("small", await small.AsTask().WithTimeout());
    }

    [SkippableFact]
    public async Task ClientRefusesMalformedNames_BeforeSending()
    {
        Cluster.Require();
        await using var executor = Cluster.NewExecutor();

        var empty = Assert.Throws<ArgumentException>(() => executor.Submit<int>(""));
        var spaced = Assert.Throws<ArgumentException>(() => executor.Submit<int>("two words"));

        Assert.Contains("Task name ''", empty.Message, StringComparison.Ordinal);
        Assert.Contains("Task name 'two words'", spaced.Message, StringComparison.Ordinal);
    }

    private static TaskSpec Spec(string id, string name, string json) =>
        new() { Id = id, Name = name, Args = ByteString.CopyFrom(Encoding.UTF8.GetBytes(json)) };
}

public sealed class EmbeddedStoreEndToEndTests(EmbeddedCluster cluster) : EndToEndTests<EmbeddedCluster>(cluster), IClassFixture<EmbeddedCluster>
{
    [Fact]
    public async Task KilledWorkerProcess_IsReplacedByTheDaemon_AndEveryTaskStillCompletes()
    {
        await using var executor = Cluster.NewExecutor();
        var before = (await Cluster.Admin.StatusAsync(new StatusRequest())).Workers.Select(w => w.ProcessId).ToHashSet();
        var futures = Enumerable.Range(0, 300).Select(_ => executor.Submit<int>("spin", 20)).ToList();
        var first = await ClusterFutures_FirstDoneAsync(futures);
        var victim = int.Parse(first.WorkerId!.Split('-')[^3], System.Globalization.CultureInfo.InvariantCulture);

        Assert.True(ChildProcess.Signal(victim, ChildProcess.SigKill), $"the kill reached worker process {victim}");

        var results = await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout();
        Assert.All(results, r => Assert.Equal(20, r));
        // The killed process held leased tasks: they ran again elsewhere, under a new attempt.
        Assert.Contains(futures, f => f.Attempt > 1);
        Assert.All(futures.Where(f => f.Attempt > 1), f => Assert.NotEqual(victim, int.Parse(f.WorkerId!.Split('-')[^3], System.Globalization.CultureInfo.InvariantCulture)));
        await TaskTimeouts.Eventually(async () =>
        {
            var now = (await Cluster.Admin.StatusAsync(new StatusRequest())).Workers.Select(w => w.ProcessId).ToHashSet();
            return now.Count == Cluster.Processes && !now.Contains(victim) && now.Overlaps(before);
        }, "the daemon has replaced the killed worker process");
    }

    private static async Task<ClusterFuture<int>> ClusterFutures_FirstDoneAsync(List<ClusterFuture<int>> futures)
    {
        var done = await Task.WhenAny(futures.Select(f => f.AsTask())).WithTimeout();
        return futures.First(f => f.AsTask() == done);
    }
}

public sealed class RedisServerEndToEndTests(RedisCluster cluster) : EndToEndTests<RedisCluster>(cluster), IClassFixture<RedisCluster>;

public sealed class CoroutineLoopTests(SingleWorkerCluster cluster) : IClassFixture<SingleWorkerCluster>
{
    [Fact]
    public async Task AThousandConcurrentSleeps_OnOneWorkerProcess_Interleave()
    {
        await using var executor = cluster.NewExecutor();
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var futures = Enumerable.Range(0, 1000).Select(_ => executor.Submit<double>("sleep", 1.0)).ToList();
        var results = await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout();
        watch.Stop();

        Assert.All(results, r => Assert.Equal(1.0, r));
        Assert.Single(futures.Select(f => f.WorkerId).Distinct());
        // Run one after another they would take 1,000 s; interleaved on the loop, about one.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"1,000 × sleep(1) took {watch.Elapsed.TotalSeconds:0.0} s");
    }
}
