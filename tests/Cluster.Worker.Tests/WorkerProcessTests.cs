using System.Text;
using System.Text.Json;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Cluster.Worker.Tests;

/// <summary>
/// A real WorkerProcess against a scripted coordinator (a gRPC server on loopback with gRPC's
/// default 4 MiB receive limit): what the worker does when its leases are taken, when the
/// coordinator's result limit is small, and when its results add up to more than one message holds.
/// </summary>
public sealed class WorkerProcessTests
{
    [Fact]
    public async Task Hello_DeclaresItsThreadSlots_AndGrantsOneTaskAheadPerThreadUntilATaskHasRun()
    {
        await using var coordinator = await ScriptedCoordinator.StartAsync();
        await using var worker = Run(coordinator, new TaskRegistry().Register("echo", (JsonElement x) => x));

        var connection = await coordinator.NextConnectionAsync();
        var hello = await connection.ReadUntilAsync(m => m.Hello is not null, "hello");

        Assert.Equal(2 * (1 + 3), hello.Hello.ThreadSlots);
        Assert.True(hello.HasThreadCredits && hello.HasCoroutineCredits);
        Assert.Equal((2 * (1 + 1), 5), (hello.ThreadCredits, hello.CoroutineCredits));
    }

    [Fact]
    public async Task ShortTasks_WidenWhatTheWorkerAsksFor_ToItsPrefetch_AndLongOnes_NarrowItToOneAheadPerThread()
    {
        await using var coordinator = await ScriptedCoordinator.StartAsync();
        var registry = new TaskRegistry()
            .Register("echo", (JsonElement x) => x)
            .Register("nap", (int ms) =>
            {
                Thread.Sleep(ms);
                return ms;
            });
        await using var worker = Run(coordinator, registry);
        var connection = await coordinator.NextConnectionAsync();
        await connection.ReadUntilAsync(m => m.Hello is not null, "hello");
        var assigned = 0;
        // Credits granted and not yet used: what the worker asks for beyond the tasks it holds.
        int Open() => connection.Received.Sum(m => m.ThreadCredits) - assigned;
        // Four tasks at once, and their results back.
        async Task RunFourAsync(string prefix, string name, string args)
        {
            var ids = Enumerable.Range(0, 4).Select(i => $"{prefix}.{i}").ToList();
            await connection.SendAsync(new CoordinatorMessage { Assignments = { ids.Select(id => Assign(id, name, args)) } });
            assigned += 4;
            await connection.ReadUntilAsync(_ => ids.All(id => connection.Received.Any(m => m.Results.Any(r => r.TaskId == id))), $"the results of {prefix}");
        }
        Assert.Equal(4, Open());

        // Tasks of microseconds: the worker asks for all its slots, 2 threads × (1 + 3), once the
        // average run time has come down from the first runs' (which pay for first calls).
        for (var batch = 0; Open() < 8; batch++)
        {
            Assert.True(batch < 50, $"after {batch} batches of tasks of microseconds, {Open()} credits are open, not 8");
            await RunFourAsync($"s.{batch}", "echo", "[1]");
        }
        Assert.Equal(8, Open());

        // Tasks of 100 ms, more than the 50 ms of work a thread leases ahead: one ahead per thread.
        for (var round = 0; round < 3; round++)
        {
            await RunFourAsync($"n.{round}", "nap", "[100]");
        }
        Assert.Equal(4, Open());
    }

    [Fact]
    public async Task RevokedRun_IsInterrupted_ItsResultIsNotSent_AndItsSlotIsFreeForTheNextConnection()
    {
        await using var coordinator = await ScriptedCoordinator.StartAsync();
        var interrupted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registry = new TaskRegistry().Register("wait", async (CancellationToken cancellationToken) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            finally
            {
                interrupted.TrySetResult();
            }
        });
        await using var worker = Run(coordinator, registry);
        var first = await coordinator.NextConnectionAsync();
        await first.ReadUntilAsync(m => m.Hello is not null, "hello");

        await first.SendAsync(new CoordinatorMessage { Assignments = { Assign("t.1", "wait"), Assign("t.2", "wait") } });
        await first.ReadUntilAsync(m => m.Events.Any(e => e.TaskId == "t.2" && e.Started is not null), "t.2 has started");
        await first.SendAsync(new CoordinatorMessage { Revoked = { "t.1" } });

        await interrupted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // The slot comes back as a credit of its own: no result travels with it.
        await first.ReadUntilAsync(m => m.CoroutineCredits > 0, "t.1's slot is free");
        Assert.DoesNotContain(first.Received, m => m.Results.Any(r => r.TaskId == "t.1"));
        // Then the coordinator ends the stream; the worker says hello again, with t.2 still running.
        first.Ended.SetResult(new Status(StatusCode.Aborted, "leases taken"));
        var second = await coordinator.NextConnectionAsync();
        var hello = await second.ReadUntilAsync(m => m.Hello is not null, "hello again");
        Assert.NotEqual(first.Received[0].Hello.WorkerId, hello.Hello.WorkerId);
        Assert.Equal(5 - 1, hello.CoroutineCredits);
        Assert.Contains("Leases taken", worker.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResultOverTheLimitInTheWelcome_FailsItsTask_WithResultTooLarge()
    {
        await using var coordinator = await ScriptedCoordinator.StartAsync();
        await using var worker = Run(coordinator, new TaskRegistry().Register("echo", (JsonElement x) => x));
        var connection = await coordinator.NextConnectionAsync();
        await connection.ReadUntilAsync(m => m.Hello is not null, "hello");

        await connection.SendAsync(new CoordinatorMessage { Welcome = new Welcome { MaxResultBytes = 10 } });
        await connection.SendAsync(new CoordinatorMessage { Assignments = { Assign("t.1", "echo", "[\"0123456789\"]"), Assign("t.2", "echo", "[\"01234567\"]") } });
        var message = await connection.ReadUntilAsync(m => m.Results.Count > 0, "results");
        var results = connection.Received.SelectMany(m => m.Results).ToDictionary(r => r.TaskId);
        if (results.Count < 2)
        {
            await connection.ReadUntilAsync(m => m.Results.Count > 0, "the other result");
            results = connection.Received.SelectMany(m => m.Results).ToDictionary(r => r.TaskId);
        }

        Assert.Equal("Cluster.ResultTooLarge", results["t.1"].Error.Type);
        Assert.Equal("the result of task t.1 is 12 bytes; the limit is 10", results["t.1"].Error.Message);
        Assert.Equal("\"01234567\"", results["t.2"].Value.ToStringUtf8());
    }

    [Fact]
    public async Task ResultsOfManyMegabytes_TravelInMessagesOfAtMostFourMebibytes()
    {
        await using var coordinator = await ScriptedCoordinator.StartAsync();
        await using var worker = Run(coordinator, new TaskRegistry().Register("text", (int length) => new string('x', length)));
        var connection = await coordinator.NextConnectionAsync();
        await connection.ReadUntilAsync(m => m.Hello is not null, "hello");

        // 8 MiB of results at once: past the receiving end's limit, a message would reset the stream.
        await connection.SendAsync(new CoordinatorMessage { Assignments = { Enumerable.Range(0, 8).Select(i => Assign($"t.{i}", "text", "[1000000]")) } });
        while (connection.Received.Sum(m => m.Results.Count) < 8)
        {
            await connection.ReadUntilAsync(m => m.Results.Count > 0, "more results");
        }

        Assert.All(connection.Received, m => Assert.InRange(m.CalculateSize(), 0, 4 * 1024 * 1024));
        Assert.All(connection.Received.SelectMany(m => m.Results), r => Assert.Equal(1_000_002, r.Value.Length));
    }

    [Fact]
    public async Task RunsStillGoingPastTheDrainGrace_HaveTheirTokensFired_OnTheThreadPoolAndOnTheCoroutineLoop()
    {
        await using var coordinator = await ScriptedCoordinator.StartAsync();
        var loopInterrupted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var threadInterrupted = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var registry = new TaskRegistry()
            .Register("wait", async (CancellationToken cancellationToken) =>
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                finally
                {
                    loopInterrupted.TrySetResult();
                }
            })
            .Register("block", (CancellationToken cancellationToken) =>
            {
                threadInterrupted.TrySetResult(cancellationToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(60)));
                return 0;
            });
        await using var worker = Run(coordinator, registry);
        var connection = await coordinator.NextConnectionAsync();
        await connection.ReadUntilAsync(m => m.Hello is not null, "hello");
        await connection.SendAsync(new CoordinatorMessage { Assignments = { Assign("t.1", "wait"), Assign("t.2", "block") } });
        await connection.ReadUntilAsync(
            _ => connection.Received.SelectMany(m => m.Events).Count(e => e.Started is not null) == 2, "both runs have started");

        // Stopping waits the drain grace (1 s) for them, then fires the token of every run the process holds.
        await worker.StopAsync();

        await loopInterrupted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(await threadInterrupted.Task.WaitAsync(TimeSpan.FromSeconds(30)), "the thread pool's run saw no interrupt");
    }

    private static Assignment Assign(string id, string name, string args = "[]") =>
        new() { TaskId = id, Name = name, Attempt = 1, Session = "s", Args = ByteString.CopyFromUtf8(args) };

    private static RunningWorker Run(ScriptedCoordinator coordinator, TaskRegistry registry) =>
        new(new WorkerOptions { Coordinator = coordinator.Address, Threads = 2, PrefetchPerThread = 3, Coroutines = 5, MaxReconnectDelay = TimeSpan.FromMilliseconds(200), DrainGrace = TimeSpan.FromSeconds(1) }, registry);
}
