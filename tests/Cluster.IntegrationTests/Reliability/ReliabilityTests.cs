using Cluster.Client;
using Cluster.Contracts;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;

namespace Cluster.IntegrationTests.Reliability;

/// <summary>
/// Retries, dead letters, timeouts, poison tasks and drain, on a real cluster (embedded store,
/// two worker processes, hops traced). Every check: each future resolves once, with the right outcome.
/// </summary>
public sealed class ReliabilityTests(TracedCluster cluster) : IClassFixture<TracedCluster>
{
    private static readonly TaskPolicy RetryIo = new()
    {
        MaxAttempts = 3,
        RetryOn = ["System.IO.IOException"],
        Backoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(50),
    };

    [Fact]
    public async Task RetryableError_RunsAgain_UntilItSucceeds()
    {
        await using var executor = cluster.NewExecutor();

        var future = executor.Submit<int>(RetryIo, "flaky", 2);

        Assert.Equal(3, await future.AsTask().WithTimeout());
        Assert.Equal(3, future.Attempt);
    }

    [Fact]
    public async Task RetriesExhausted_DeadLetterTheTask_WithEveryAttemptsError()
    {
        await using var executor = cluster.NewExecutor();

        var future = executor.Submit<int>(RetryIo, "flaky", 5);
        var error = await Assert.ThrowsAsync<RemoteTaskException>(() => future.AsTask().WithTimeout());

        Assert.True(error.DeadLettered);
        Assert.Equal("System.IO.IOException", error.RemoteType);
        Assert.Equal([1, 2, 3], error.Attempts.Select(a => a.Attempt));
        Assert.All(error.Attempts, a => Assert.StartsWith("flaky: attempt", a.RemoteMessage, StringComparison.Ordinal));
        Assert.Contains("dead-lettered: failed on each of its 3 attempts", error.RemoteMessage, StringComparison.Ordinal);
        var letters = await cluster.Admin.DeadLettersAsync(new DeadLettersRequest { Limit = 1000 }).ResponseAsync.WithTimeout();
        var letter = Assert.Single(letters.Letters, l => l.TaskId == future.Id);
        Assert.Equal(("flaky", "[5]", 3), (letter.Name, letter.Args.ToStringUtf8(), letter.Errors.Count));
    }

    [Fact]
    public async Task ErrorNotNamedInRetryOn_FailsAtOnce()
    {
        await using var executor = cluster.NewExecutor();

        var error = await Assert.ThrowsAsync<RemoteTaskException>(() => executor.Submit<int>(RetryIo, "fail", "bug").AsTask().WithTimeout());

        Assert.False(error.DeadLettered);
        Assert.Equal(1, error.Attempt);
        Assert.Empty(error.Attempts);
    }

    [Fact]
    public async Task SoftTimeout_FiresTheToken_AndFailsTheAttemptWithTimeoutException()
    {
        await using var executor = cluster.NewExecutor();

        var future = executor.Submit<double>(new TaskPolicy { SoftTimeout = TimeSpan.FromMilliseconds(200) }, "sleep", 30.0);
        var error = await Assert.ThrowsAsync<RemoteTaskException>(() => future.AsTask().WithTimeout());

        Assert.Equal("System.TimeoutException", error.RemoteType);
        Assert.Contains("soft timeout of 200 ms", error.RemoteMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HardTimeout_EndsTheWorkerProcess_TheDaemonReplacesIt_AndOtherTasksComplete()
    {
        await using var executor = cluster.NewExecutor();
        var before = await WorkerPidsAsync();

        var hung = executor.Submit<int>(new TaskPolicy { HardTimeout = TimeSpan.FromMilliseconds(500) }, "hang", 120_000);
        var error = await Assert.ThrowsAsync<RemoteTaskException>(() => hung.AsTask().WithTimeout());
        var others = Enumerable.Range(0, 200).Select(i => executor.Submit<long>("add", i, i)).ToList();

        Assert.Equal("Cluster.HardTimeout", error.RemoteType);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => 2L * i), await Task.WhenAll(others.Select(f => f.AsTask())).WithTimeout());
        await TaskTimeouts.Eventually(async () =>
        {
            var now = await WorkerPidsAsync();
            return now.Count == cluster.Processes && !now.SetEquals(before);
        }, "the daemon has replaced the worker process the hard timeout ended");
    }

    [Fact]
    public async Task PoisonTask_IsRetriedWithinItsBound_ThenDeadLettered_AndTheClusterGoesOn()
    {
        await using var executor = cluster.NewExecutor();

        var poison = executor.Submit<int>(new TaskPolicy { MaxLostRuns = 1 }, "crash");
        var error = await Assert.ThrowsAsync<RemoteTaskException>(() => poison.AsTask().WithTimeout());

        Assert.True(error.DeadLettered);
        Assert.Equal("Cluster.WorkerLost", error.RemoteType);
        Assert.Equal(2, error.Attempts.Count);
        await cluster.WaitForWorkersAsync(cluster.Processes);
        Assert.Equal(5, await executor.Submit<long>("add", 2, 3).AsTask().WithTimeout());
    }

    [Fact]
    public async Task SigtermOnAWorkerProcess_DrainsIt_RunningTasksFinish_UnstartedOnesRunElsewhere()
    {
        await using var executor = cluster.NewExecutor();
        var futures = Enumerable.Range(0, 60).Select(_ => executor.Submit<int>("spin", 200)).ToList();
        await TaskTimeouts.Eventually(() => Task.FromResult(futures.Any(f => f.Running)), "a spin task is running");
        var victim = await BusiestWorkerPidAsync();

        Assert.True(ChildProcess.Signal(victim, ChildProcess.SigTerm), $"SIGTERM reached worker process {victim}");

        var results = await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout();
        Assert.All(results, r => Assert.Equal(200, r));
        Assert.All(futures, f => Assert.Equal(FutureState.Finished, f.State));
        // What tells a drain from a kill: the running tasks finished where they ran and the unstarted
        // ones were handed back, so each task began exactly one run on the workers.
        var runs = cluster.Runs();
        Assert.All(futures, f => Assert.Equal((f.Id, 1), (f.Id, runs.GetValueOrDefault(f.Id))));
        await TaskTimeouts.Eventually(async () =>
        {
            var now = await WorkerPidsAsync();
            return now.Count == cluster.Processes && !now.Contains(victim);
        }, "the drained worker process has exited and been replaced");
    }

    [Fact]
    public async Task IdempotencyKey_ReturnsTheSameFuture_InOneExecutor_AndCreatesNoSecondTaskFromAnother()
    {
        await using var first = cluster.NewExecutor();
        await using var second = cluster.NewExecutor();
        var key = "order-" + Guid.NewGuid().ToString("N");

        var original = first.Submit<long>(new SubmitOptions { IdempotencyKey = key }, "add", 1, 2);
        var repeated = first.Submit<long>(new SubmitOptions { IdempotencyKey = key }, "add", 1, 2);
        Assert.Same(original, repeated);
        Assert.Equal(3, await original.AsTask().WithTimeout());

        var elsewhere = second.Submit<long>(new SubmitOptions { IdempotencyKey = key }, "add", 1, 2);
        var error = await Assert.ThrowsAsync<TaskRejectedException>(() => elsewhere.AsTask().WithTimeout());
        Assert.Equal("AlreadyExists", error.Code);
        Assert.Equal(original.Id, error.ExistingTaskId);
        Assert.Contains($"idempotency key '{key}' belongs to task '{original.Id}'", error.Message, StringComparison.Ordinal);
    }

    private async Task<HashSet<int>> WorkerPidsAsync() =>
        (await cluster.Admin.StatusAsync(new StatusRequest())).Workers.Select(w => w.ProcessId).ToHashSet();

    private async Task<int> BusiestWorkerPidAsync() =>
        (await cluster.Admin.StatusAsync(new StatusRequest())).Workers.OrderByDescending(w => w.Leased).First().ProcessId;
}
