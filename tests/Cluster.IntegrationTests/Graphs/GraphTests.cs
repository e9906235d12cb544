using Cluster.Client;
using Cluster.Contracts;
using Cluster.IntegrationTests.Futures;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.IntegrationTests.Python;

namespace Cluster.IntegrationTests.Graphs;

/// <summary>
/// Futures as arguments: a task given other tasks' futures waits in the store until they have
/// finished and runs with their results in their places, with no client round trip between stages;
/// a failed input fails its dependents (and theirs) with DependencyFailed; a cancelled one cancels
/// them; the store drives the graph to its end after the submitting process has exited.
/// </summary>
public abstract class GraphTests<TFixture>(TFixture cluster) where TFixture : ClusterFixture
{
    [SkippableFact]
    public async Task FanOutFanIn_OfAThousandTasks_ResolvesEveryResult_WithNoSubmitBetweenStages()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        const int Adds = 999;

        var adds = Enumerable.Range(0, Adds).Select(i => executor.Submit<long>("add", i, 1_000_000)).ToArray();
        var total = executor.Submit<long>("sum", (object)adds);
        await TaskTimeouts.Eventually(() => Task.FromResult(total.Accepted || total.Done), "the sum is stored");
        var callsWhenStored = executor.SubmitCalls;

        Assert.Equal(Enumerable.Range(0, Adds).Sum(i => i + 1_000_000L), await total.WithTimeout());
        for (var i = 0; i < Adds; i++)
        {
            Assert.Equal(i + 1_000_000L, await adds[i].WithTimeout());
        }
        // Every stage went in the first calls (batches of at most 1,000 tasks and the sum once its
        // inputs were stored); none came after the sum was stored: the store ran the second stage.
        Assert.Equal(callsWhenStored, executor.SubmitCalls);
        Assert.InRange(executor.SubmitCalls, 2, 20);
    }

    [SkippableFact]
    public async Task Dependent_OfAnotherQueue_WaitsThereForAListener_OnceItsInputFinished()
    {
        cluster.Require();
        var queue = "graph-" + Guid.NewGuid().ToString("N")[..8];
        await using var executor = cluster.NewExecutor();
        var input = executor.Submit<long>("add", 1, 2);
        var dependent = executor.Submit<long>(new SubmitOptions { Queue = queue, Priority = 7 }, "add", input, 10);

        Assert.Equal(3, await input.WithTimeout());
        // Ready once its input finished, in its own queue, which no worker listens to yet.
        await TaskTimeouts.Eventually(async () => (await cluster.Admin.StatusAsync(new Protocol.V1.StatusRequest())).Queues.Any(q => q is { Name: "add", Queued: 1, NoListener: true } && q.Queue == queue), $"the dependent waits in queue '{queue}'");
        Assert.False(dependent.Done);
        await using var worker = Order.StartTimes.StartWorker(cluster.Address, queue, threads: 1);
        Assert.Equal(13, await dependent.WithTimeout());
    }

    [SkippableFact]
    public async Task FailedInput_FailsItsDependentsTwoLevelsDeep_WithDependencyFailed()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        // The gate keeps the graph waiting in the store while it is submitted: each level fails from its input there.
        var gate = executor.Submit<string>("echo", "broken input");
        var failing = executor.Submit<int>("fail", gate);
        var middle = executor.Submit<long>("add", failing, 1);
        var top = executor.Submit<long>("add", middle, 2);

        var failed = await Assert.ThrowsAsync<RemoteTaskException>(() => failing.WithTimeout());
        var first = await Assert.ThrowsAsync<DependencyFailedException>(() => middle.WithTimeout());
        var second = await Assert.ThrowsAsync<DependencyFailedException>(() => top.WithTimeout());

        Assert.Equal("System.InvalidOperationException", failed.RemoteType);
        Assert.Equal("Cluster.DependencyFailed", first.RemoteType);
        Assert.Equal(failing.Id, first.InputTaskId);
        Assert.Equal("System.InvalidOperationException: broken input", first.InputError);
        Assert.Equal(middle.Id, second.InputTaskId);
        Assert.StartsWith("Cluster.DependencyFailed: input task " + failing.Id + " failed: System.InvalidOperationException: broken input", second.InputError, StringComparison.Ordinal);
        Assert.Null(middle.WorkerId);
    }

    [SkippableFact]
    public async Task DeadLetteredInput_FailsItsDependent_SayingSo()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        var failures = executor.Submit<int>("add", 2, 3);
        // Fails on each of its 2 attempts (it would succeed on the 6th): then it is dead-lettered.
        var input = executor.Submit<int>(new TaskPolicy { MaxAttempts = 2, RetryOn = ["System.IO.IOException"], Backoff = TimeSpan.FromMilliseconds(50) }, "flaky", failures);
        var dependent = executor.Submit<long>("add", input, 1);

        var lettered = await Assert.ThrowsAsync<RemoteTaskException>(() => input.WithTimeout());
        var error = await Assert.ThrowsAsync<DependencyFailedException>(() => dependent.WithTimeout());

        Assert.True(lettered.DeadLettered);
        Assert.Equal(input.Id, error.InputTaskId);
        Assert.StartsWith("it was dead-lettered; its last error: System.IO.IOException: flaky", error.InputError, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task InputThatFailedBefore_FailsANewDependentAtOnce()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        var failing = executor.Submit<int>("fail", "failed long ago");
        await failing.WhenDone().WithTimeout();

        var dependent = executor.Submit<long>("add", failing, 1);

        var error = await Assert.ThrowsAsync<DependencyFailedException>(() => dependent.WithTimeout());
        Assert.Equal(failing.Id, error.InputTaskId);
        Assert.Equal("System.InvalidOperationException: failed long ago", error.InputError);
    }

    [SkippableFact]
    public async Task CancellingAnInput_CancelsItsPendingDependents()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        var input = executor.Submit<long>(new SubmitOptions { Delay = TimeSpan.FromMinutes(10) }, "add", 1, 2);
        var dependent = executor.Submit<long>("add", input, 3);
        var next = executor.Submit<long>("add", dependent, 4);
        await TaskTimeouts.Eventually(() => Task.FromResult(next.Accepted), "the graph is stored");

        Assert.True(await input.CancelAsync().WithTimeout());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dependent.WithTimeout());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next.WithTimeout());
        Assert.True(dependent.Cancelled);
        Assert.True(next.Cancelled);
    }

    [SkippableFact]
    public async Task CancellingAWaitingTask_CancelsItAndItsDependents_NotItsInput()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        var input = executor.Submit<long>(new SubmitOptions { Delay = TimeSpan.FromSeconds(2) }, "add", 1, 2);
        var waiting = executor.Submit<long>("add", input, 3);
        var next = executor.Submit<long>("add", waiting, 4);
        await TaskTimeouts.Eventually(() => Task.FromResult(next.Accepted), "the graph is stored");

        Assert.True(await waiting.CancelAsync().WithTimeout());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next.WithTimeout());
        Assert.Equal(3, await input.WithTimeout());
    }

    [SkippableFact]
    public async Task UnknownInput_IsRefusedNamingIt()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        var unknown = executor.Attach<long>("never-submitted-" + Guid.NewGuid().ToString("N")[..8]);

        var dependent = executor.Submit<long>("add", unknown, 1);

        var error = await Assert.ThrowsAsync<TaskRejectedException>(() => dependent.WithTimeout());
        Assert.Equal("NotFound", error.Code);
        Assert.Contains(unknown.Id, error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Graph_CompletesAfterTheSubmittingProcessExited()
    {
        cluster.Require();
        Requirements.Require(PythonCluster.PythonMissing);
        const int Adds = 50;
        var script = Path.Combine(Path.GetTempPath(), "submit-graph-" + Guid.NewGuid().ToString("N")[..8] + ".py");
        await File.WriteAllTextAsync(script, SubmitScript);
        try
        {
            var environment = new Dictionary<string, string> { ["CLUSTER_ADDRESS"] = cluster.Address.ToString() };
            if (cluster.FixtureToken is { } token)
            {
                environment["CLUSTER_TOKEN"] = token;
            }
            await using var child = PythonCluster.StartPython([script, Adds.ToString(System.Globalization.CultureInfo.InvariantCulture)], environment);
            Assert.Equal(0, await child.WaitForExitAsync(TaskTimeouts.Default));
            var totalId = System.Text.RegularExpressions.Regex.Match(child.Output, @"TOTAL (\S+)").Groups[1].Value;
            Assert.False(string.IsNullOrEmpty(totalId), child.Output);

            await using var executor = cluster.NewExecutor();
            var total = executor.Attach<long>(totalId);

            // The gate slept 2 s after the submit: each add took 2 + i, the sum all of them.
            Assert.Equal(Enumerable.Range(0, Adds).Sum(i => 2L + i), await total.WithTimeout());
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>
    /// Submits over the raw wire, in one call, a gate (sleep 2 s) and N adds that each take it as
    /// input, then a sum of the adds; prints the sum's id and exits without waiting for anything.
    /// </summary>
    private const string SubmitScript = """
        import os, sys, uuid
        from cluster_futures._channel import open_channel, metadata
        from cluster_futures._proto import cluster_pb2 as pb, cluster_pb2_grpc as rpc

        n = int(sys.argv[1])
        prefix = "dag-" + uuid.uuid4().hex[:12]
        gate = pb.TaskSpec(id=prefix + ".gate", name="sleep", args=b"[2.0]")
        adds = [pb.TaskSpec(id="%s.add.%d" % (prefix, i), name="add", args=('[{"$clusterInput":0},%d]' % i).encode(), inputs=[gate.id]) for i in range(n)]
        total = pb.TaskSpec(id=prefix + ".sum", name="sum", args=("[[" + ",".join('{"$clusterInput":%d}' % i for i in range(n)) + "]]").encode(),
                            inputs=[a.id for a in adds])
        stub = rpc.TasksStub(open_channel(os.environ["CLUSTER_ADDRESS"]))
        reply = stub.Submit(pb.SubmitRequest(session=prefix, tasks=[gate] + adds + [total]), metadata=metadata(os.environ.get("CLUSTER_TOKEN")), timeout=30)
        if reply.rejected:
            print("rejected:", reply.rejected, flush=True)
            sys.exit(1)
        print("TOTAL " + total.id, flush=True)
        """;
}

[Collection("futures")]
public sealed class EmbeddedStoreGraphTests(EmbeddedCluster cluster) : GraphTests<EmbeddedCluster>(cluster);

[Collection("client on redis-server")]
public sealed class RedisServerGraphTests(RedisCluster cluster) : GraphTests<RedisCluster>(cluster);
