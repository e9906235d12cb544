using Cluster.Client;
using Cluster.IntegrationTests.Futures;
using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Attach;

/// <summary>
/// A future from any process: a second executor attaches to a task the first one submitted, by its
/// id, whether the task has finished (its completion is kept for the retention), is still running,
/// or its executor is gone; an error comes back as the error, an unknown id fails with its name,
/// and cancelling the attached future cancels the task.
/// </summary>
public abstract class AttachTests<TFixture>(TFixture cluster) where TFixture : ClusterFixture
{
    [SkippableFact]
    public async Task Attach_ToAFinishedTaskOfAnotherExecutor_ResolvesWithItsResult()
    {
        cluster.Require();
        await using var first = cluster.NewExecutor();
        await using var second = cluster.NewExecutor();
        var submitted = first.Submit<long>("add", 20, 22);
        Assert.Equal(42, await submitted.WithTimeout());

        var attached = second.Attach<long>(submitted.Id);

        Assert.Equal(42, await attached.WithTimeout());
        Assert.Equal(submitted.Id, attached.Id);
        Assert.Equal(FutureState.Finished, attached.State);
        Assert.Equal(submitted.WorkerId, attached.WorkerId);
        Assert.Equal(0, second.PendingCount);
    }

    [SkippableFact]
    public async Task Attach_ToARunningTask_ResolvesWhenItFinishes()
    {
        cluster.Require();
        await using var first = cluster.NewExecutor();
        await using var second = cluster.NewExecutor();
        var gate = FutureScope.NewGate();
        var submitted = FutureScope.SubmitGated(first, gate);
        await TaskTimeouts.Eventually(() => Task.FromResult(submitted.Running || submitted.Done), "the task is running");
        Assert.Equal(FutureState.Running, submitted.State);

        var attached = second.Attach<long>(submitted.Id);
        var raw = second.Attach(submitted.Id);

        Assert.False(attached.Done);
        await FutureScope.OpenGateAsync(second, gate, 15);
        Assert.Equal(15, await attached.WithTimeout());
        Assert.Equal(15, (await raw.WithTimeout()).GetInt64());
        Assert.Equal(15, await submitted.WithTimeout());
    }

    [SkippableFact]
    public async Task Attach_AfterTheSubmittingExecutorIsDisposed_ResolvesFromTheStore()
    {
        cluster.Require();
        string id;
        await using (var first = cluster.NewExecutor())
        {
            var submitted = first.Submit<string>("echo", "kept");
            id = submitted.Id;
            Assert.Equal("kept", await submitted.WithTimeout());
        }
        await using var second = cluster.NewExecutor();

        Assert.Equal("kept", await second.Attach<string>(id).WithTimeout());
    }

    [SkippableFact]
    public async Task Attach_ToAFailedTask_ThrowsItsError()
    {
        cluster.Require();
        await using var first = cluster.NewExecutor();
        await using var second = cluster.NewExecutor();
        var submitted = first.Submit<int>("fail", "broken on purpose");
        await submitted.WhenDone().WithTimeout();

        var attached = second.Attach<int>(submitted.Id);

        var error = await Assert.ThrowsAsync<RemoteTaskException>(() => attached.WithTimeout());
        Assert.Contains("broken on purpose", error.Message, StringComparison.Ordinal);
        Assert.Equal("System.InvalidOperationException", error.RemoteType);
    }

    [SkippableFact]
    public async Task Attach_ToAnUnknownId_FailsNamingTheId()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        var id = "never-submitted-" + Guid.NewGuid().ToString("N")[..8];

        var attached = executor.Attach<int>(id);

        var error = await Assert.ThrowsAsync<KeyNotFoundException>(() => attached.WithTimeout());
        Assert.Contains(id, error.Message, StringComparison.Ordinal);
        Assert.Contains("retention", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task TaskCommandWithWait_InAnotherProcess_ResolvesAPendingTask_AndPrintsItsResult()
    {
        cluster.Require();
        var queue = "attach-" + Guid.NewGuid().ToString("N")[..8];
        await using var executor = cluster.NewExecutor();
        // In a queue no worker listens to: pending until the test starts one.
        var pending = executor.Submit<string>(new SubmitOptions { Queue = queue }, "echo", "worth the wait");
        await TaskTimeouts.Eventually(() => Task.FromResult(pending.Accepted), "the task is stored");

        await using var waiter = Cluster.Testing.ChildProcess.StartCluster("task", pending.Id, "--coordinator", cluster.Address.ToString(), "--wait");
        await waiter.WaitForOutputAsync("waiting for it to finish", TimeSpan.FromSeconds(60));
        Assert.False(pending.Done);
        await using var worker = Order.StartTimes.StartWorker(cluster.Address, queue, threads: 1);

        Assert.Equal(0, await waiter.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"{pending.Id}  succeeded  attempt 1", waiter.Output, StringComparison.Ordinal);
        Assert.Contains("\"worth the wait\"", waiter.Output, StringComparison.Ordinal);
        Assert.Equal("worth the wait", await pending.WithTimeout());
    }

    [SkippableFact]
    public async Task TaskCommand_PrintsTheStateAttemptsAndAPreviewOfTheResult()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        var long_ = executor.Submit<string>("echo", new string('x', 5000));
        var failed = executor.Submit<int>("fail", "broken on purpose");
        var queued = executor.Submit<int>(FutureScope.UnhandledName());
        await Task.WhenAll(long_.WhenDone(), failed.WhenDone()).WithTimeout();
        await TaskTimeouts.Eventually(async () => (await cluster.Admin.StatusAsync(new Protocol.V1.StatusRequest())).Queues.Any(q => q.Name == queued.Name && q.Queued > 0), "the task is queued");
        var coordinator = cluster.Address.ToString();

        var text = await Cli.CommandOutput.RunAsync("task", long_.Id, "--coordinator", coordinator);
        var json = await Cli.CommandOutput.RunAsync("task", failed.Id, "--coordinator", coordinator, "--json");
        var waiting = await Cli.CommandOutput.RunAsync("task", queued.Id, "--coordinator", coordinator, "--json");
        var unknown = await Cli.CommandOutput.RunAsync("task", "no-such-task", "--coordinator", coordinator);
        Assert.True(await queued.CancelAsync().WithTimeout());

        Assert.True(text.ExitCode == 0, text.Output);
        Assert.Contains($"{long_.Id}  succeeded  attempt 1  worker {long_.WorkerId}", text.Output, StringComparison.Ordinal);
        // A preview, not the 5,000 characters.
        Assert.Contains("result (5002 bytes): \"xxx", text.Output, StringComparison.Ordinal);
        Assert.Contains("(4802 more characters)", text.Output, StringComparison.Ordinal);
        Assert.True(json.ExitCode == 0, json.Output);
        using (var document = System.Text.Json.JsonDocument.Parse(json.Output))
        {
            var root = document.RootElement;
            Assert.Equal("failed", root.GetProperty("state").GetString());
            var attempt = Assert.Single(root.GetProperty("attempts").EnumerateArray());
            Assert.Equal(failed.WorkerId, attempt.GetProperty("worker").GetString());
            Assert.Equal("System.InvalidOperationException", attempt.GetProperty("type").GetString());
            Assert.Contains("broken on purpose", attempt.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        Assert.True(waiting.ExitCode == 0, waiting.Output);
        using (var document = System.Text.Json.JsonDocument.Parse(waiting.Output))
        {
            Assert.Equal("queued", document.RootElement.GetProperty("state").GetString());
            Assert.Equal(queued.Name, document.RootElement.GetProperty("name").GetString());
        }
        var line = Cli.CommandOutput.AssertOneLineFailure(unknown);
        Assert.Contains("task 'no-such-task' is unknown", line, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Cancel_OfAnAttachedFuture_CancelsTheQueuedTask()
    {
        cluster.Require();
        await using var first = cluster.NewExecutor();
        await using var second = cluster.NewExecutor();
        var submitted = first.Submit<int>(FutureScope.UnhandledName());
        // Stored before it is attached: an id not yet in the store is unknown.
        await TaskTimeouts.Eventually(async () => (await cluster.Admin.StatusAsync(new Protocol.V1.StatusRequest())).Queues.Any(q => q.Name == submitted.Name && q.Queued > 0), "the task is queued");
        var attached = second.Attach<int>(submitted.Id);

        Assert.True(await attached.CancelAsync().WithTimeout());

        await submitted.WhenDone().WithTimeout();
        Assert.Equal(FutureState.Cancelled, submitted.State);
        await attached.WhenDone().WithTimeout();
        Assert.Equal(FutureState.Cancelled, attached.State);
    }
}

[Collection("futures")]
public sealed class EmbeddedStoreAttachTests(EmbeddedCluster cluster) : AttachTests<EmbeddedCluster>(cluster);

[Collection("client on redis-server")]
public sealed class RedisServerAttachTests(RedisCluster cluster) : AttachTests<RedisCluster>(cluster);
