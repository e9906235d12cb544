using System.Globalization;
using Cluster.Client;
using Cluster.IntegrationTests.Administration;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Cluster.SampleTasks.Contracts;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.IntegrationTests.Timing;

/// <summary>
/// Recurring schedules with two coordinators on one store (each with its schedule loop racing for
/// every tick) and one worker: each tick of a per-second schedule has exactly one task, under the
/// tick's own id, run once, at or after its tick; removing the schedule stops it; a bad cron
/// expression is refused with a message naming it. One store per class; a key prefix per test.
/// </summary>
public abstract class ScheduleTests<TFixture>(TFixture store) where TFixture : StoreFixture
{
    private const int Ticks = 6;

    [SkippableFact]
    public async Task PerSecondSchedule_OnTwoCoordinators_SubmitsOneTaskPerTick_UntilRemoved()
    {
        Requirements.Require(store.Missing);
        var prefix = "sched-" + Guid.NewGuid().ToString("N")[..8];
        var (portA, portB) = (RedisServer.FreeLoopbackPort(), RedisServer.FreeLoopbackPort());
        var (urlA, urlB) = ($"http://127.0.0.1:{portA}", $"http://127.0.0.1:{portB}");
        await using var a = await StartCoordinatorAsync(portA, prefix);
        await using var b = await StartCoordinatorAsync(portB, prefix);
        await using var worker = ChildProcess.StartCluster("worker", "--coordinator", urlA, "--coordinator", urlB, "--processes", "1");
        await using var executor = new ClusterExecutor([urlA, urlB]);
        using var channel = GrpcChannel.ForAddress(urlB);
        var tasks = new Protocol.V1.Tasks.TasksClient(channel);
        const string id = "every-second";

        var added = await executor.Schedules.AddOrUpdateAsync(id, "*/1 * * * * *", "clock", []).WithTimeout();

        var first = added.NextRun!.Value.ToUnixTimeMilliseconds();
        Assert.Equal(0, first % 1000);
        await TaskTimeouts.Eventually(
            async () => (await executor.Schedules.ListAsync()).Single(s => s.Id == id) is { LastRun: { } last, LastOutcome: "succeeded" } && last.ToUnixTimeMilliseconds() >= first + (Ticks - 1) * 1000,
            $"{Ticks} ticks ran");
        Assert.True(await executor.Schedules.RemoveAsync(id).WithTimeout());
        var removed = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.DoesNotContain(await executor.Schedules.ListAsync().WithTimeout(), s => s.Id == id);
        // Three ticks' time passes (a delayed task is the clock): none of them may run.
        await executor.Submit<ClockReading>(new SubmitOptions { Delay = TimeSpan.FromSeconds(3) }, "clock").AsTask().WithTimeout();

        var ran = new List<long>();
        for (var tick = first; tick <= removed + 3000; tick += 1000)
        {
            var taskId = $"sched:{id}:{tick.ToString(CultureInfo.InvariantCulture)}";
            var peek = await PeekAsync(tasks, taskId);
            if (peek is null)
            {
                continue;
            }
            Assert.Equal("finished", peek.State);
            var future = executor.Attach<ClockReading>(taskId);
            var reading = await future.AsTask().WithTimeout();
            Assert.Equal(1, future.Attempt);
            Assert.Equal(taskId, reading.TaskId);
            Assert.True(reading.StartedUnixMs >= tick, $"tick {tick} ran {tick - reading.StartedUnixMs} ms early");
            ran.Add(tick);
        }
        // One task for every tick from the first on, with no gap, and none after the removal.
        Assert.True(ran.Count >= Ticks, $"{ran.Count} ticks ran");
        Assert.Equal(Enumerable.Range(0, ran.Count).Select(i => first + i * 1000L), ran);
        Assert.True(ran[^1] <= removed + 1000, $"tick {ran[^1]} ran after the schedule was removed at {removed}");
    }

    [SkippableFact]
    public async Task BadCronExpression_IsRefusedWithAMessageNamingIt()
    {
        Requirements.Require(store.Missing);
        var port = RedisServer.FreeLoopbackPort();
        await using var coordinator = await StartCoordinatorAsync(port, "sched-" + Guid.NewGuid().ToString("N")[..8]);
        await using var executor = new ClusterExecutor($"http://127.0.0.1:{port}");

        var outOfRange = await Assert.ThrowsAsync<RpcException>(() => executor.Schedules.AddOrUpdateAsync("nightly", "61 3 * * *", "clock", [])).WithTimeout();
        var fields = await Assert.ThrowsAsync<RpcException>(() => executor.Schedules.AddOrUpdateAsync("nightly", "3 * * *", "clock", [])).WithTimeout();
        var badId = await Assert.ThrowsAsync<RpcException>(() => executor.Schedules.AddOrUpdateAsync("has space", "0 3 * * *", "clock", [])).WithTimeout();

        Assert.Equal(StatusCode.InvalidArgument, outOfRange.StatusCode);
        Assert.Contains("cron expression '61 3 * * *'", outOfRange.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, fields.StatusCode);
        Assert.Contains("has 4 fields", fields.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, badId.StatusCode);
        Assert.Contains("schedule id 'has space'", badId.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(await executor.Schedules.ListAsync().WithTimeout());
    }

    private async Task<ChildProcess> StartCoordinatorAsync(int port, string prefix)
    {
        var process = ChildProcess.StartCluster("coordinator", "--port", port.ToString(CultureInfo.InvariantCulture), "--http-port", "none", "--redis", store.Configuration, "--prefix", prefix);
        await process.WaitForOutputAsync("Coordinator listening on", TimeSpan.FromSeconds(60));
        return process;
    }

    /// <summary>The task's state now; null when the store has no such task.</summary>
    private static async Task<AttachReply?> PeekAsync(Protocol.V1.Tasks.TasksClient tasks, string id)
    {
        try
        {
            return await tasks.AttachAsync(new AttachRequest { TaskId = id, Peek = true }).ResponseAsync.WithTimeout();
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }
}

public sealed class EmbeddedStoreScheduleTests(EmbeddedStoreFixture store) : ScheduleTests<EmbeddedStoreFixture>(store), IClassFixture<EmbeddedStoreFixture>;

public sealed class RedisServerScheduleTests(RedisStoreFixture store) : ScheduleTests<RedisStoreFixture>(store), IClassFixture<RedisStoreFixture>;
