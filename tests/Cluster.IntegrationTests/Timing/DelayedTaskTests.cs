using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Cluster.SampleTasks.Contracts;
using Google.Protobuf;
using Grpc.Core;

namespace Cluster.IntegrationTests.Timing;

/// <summary>
/// Delayed tasks (<see cref="SubmitOptions.Delay"/>, <see cref="SubmitOptions.NotBefore"/>): a task
/// never starts before its time by the store's clock (the worker reads the same host's clock here,
/// so no skew) and starts soon after it; it is pending and "delayed" until then, and a cancel
/// before its time means it never runs.
/// </summary>
public abstract class DelayedTaskTests<TFixture>(TFixture cluster) where TFixture : ClusterFixture
{
    // Loose: promotion takes milliseconds here; ten times headroom and more for a loaded machine.
    private static readonly TimeSpan LatenessBound = TimeSpan.FromSeconds(5);

    [SkippableFact]
    public async Task DelayedTasks_NeverStartBeforeTheirTime_AndStartSoonAfter()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        var delays = new[] { 300, 700, 1200, 1500, 2000, 2500 };
        var submitted = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var futures = delays.Select(ms => (Ms: ms, Future: executor.Submit<ClockReading>(new SubmitOptions { Delay = TimeSpan.FromMilliseconds(ms) }, "clock"))).ToList();
        var at = DateTimeOffset.UtcNow.AddMilliseconds(1800);
        var byTime = executor.Submit<ClockReading>(new SubmitOptions { NotBefore = at }, "clock");

        // Pending, and delayed in the store with its due time, until then.
        var last = futures[^1].Future;
        AttachReply? peek = null;
        await TaskTimeouts.Eventually(async () => (peek = await PeekAsync(last.Id)) is not null, "the task is stored");
        Assert.Equal("delayed", peek!.State);
        Assert.InRange(peek.NotBeforeUnixMs, submitted + 2500, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 2500);
        Assert.Equal(FutureState.Pending, last.State);

        foreach (var (ms, future) in futures)
        {
            var reading = await future.AsTask().WithTimeout();
            Assert.True(reading.StartedUnixMs >= submitted + ms, $"the task delayed {ms} ms started {submitted + ms - reading.StartedUnixMs} ms early");
            Assert.True(reading.StartedUnixMs <= submitted + ms + (long)LatenessBound.TotalMilliseconds, $"the task delayed {ms} ms started {reading.StartedUnixMs - submitted - ms} ms late");
        }
        var started = (await byTime.AsTask().WithTimeout()).StartedUnixMs;
        Assert.InRange(started, at.ToUnixTimeMilliseconds(), at.ToUnixTimeMilliseconds() + (long)LatenessBound.TotalMilliseconds);
    }

    [SkippableFact]
    public async Task DelayedTask_CancelledBeforeItsTime_NeverRuns()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        var future = executor.Submit<ClockReading>(new SubmitOptions { Delay = TimeSpan.FromSeconds(1.5) }, "clock");
        await TaskTimeouts.Eventually(async () => (await PeekAsync(future.Id))?.State == "delayed", "the task is delayed in the store");
        var due = DateTimeOffset.UtcNow.AddSeconds(1.5);

        Assert.True(await future.CancelAsync().WithTimeout());

        Assert.Equal(FutureState.Cancelled, future.State);
        // Past its time, and past a promotion of the delayed set by a later task, it is still cancelled: no run.
        var later = executor.Submit<ClockReading>(new SubmitOptions { NotBefore = due.AddMilliseconds(200) }, "clock");
        await later.AsTask().WithTimeout();
        var peek = await cluster.Tasks.AttachAsync(new AttachRequest { TaskId = future.Id, Peek = true }).ResponseAsync.WithTimeout();
        Assert.Equal("finished", peek.State);
        Assert.Equal(Completion.OutcomeOneofCase.Cancelled, peek.Completion.OutcomeCase);
        Assert.Equal(0, peek.Completion.Attempt);
    }

    /// <summary>The task's state now; null while no coordinator has stored it.</summary>
    private async Task<AttachReply?> PeekAsync(string id)
    {
        try
        {
            return await cluster.Tasks.AttachAsync(new AttachRequest { TaskId = id, Peek = true }).ResponseAsync.WithTimeout();
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    [SkippableFact]
    public async Task DelayOutOfRange_IsRefusedWithAMessageNamingIt()
    {
        cluster.Require();
        var request = new SubmitRequest { Session = "delay-range-" + Guid.NewGuid().ToString("N")[..8] };
        request.Tasks.Add(new TaskSpec { Id = "too-late-" + Guid.NewGuid().ToString("N")[..8], Name = "clock", Args = ByteString.CopyFromUtf8("[]"), NotBeforeUnixMs = -(long)TimeSpan.FromDays(4000).TotalMilliseconds });

        var reply = await cluster.Tasks.SubmitAsync(request).ResponseAsync.WithTimeout();

        var rejection = Assert.Single(reply.Rejected);
        Assert.Equal(nameof(StatusCode.InvalidArgument), rejection.Code);
        Assert.Contains("the delay of task 'clock'", rejection.Message, StringComparison.Ordinal);
        await using var executor = cluster.NewExecutor();
        var both = Assert.Throws<ArgumentException>(() => executor.Submit<ClockReading>(new SubmitOptions { Delay = TimeSpan.FromSeconds(1), NotBefore = DateTimeOffset.UtcNow }, "clock"));
        Assert.Contains("not both", both.Message, StringComparison.Ordinal);
    }
}

[Collection("futures")]
public sealed class EmbeddedStoreDelayedTaskTests(EmbeddedCluster cluster) : DelayedTaskTests<EmbeddedCluster>(cluster);

[Collection("client on redis-server")]
public sealed class RedisServerDelayedTaskTests(RedisCluster cluster) : DelayedTaskTests<RedisCluster>(cluster);

/// <summary>On a Redis Cluster of three masters: the delayed set of each shard is promoted.</summary>
[Collection("futures-redis-cluster")]
public sealed class RedisClusterDelayedTaskTests(RedisClusterModeCluster cluster) : DelayedTaskTests<RedisClusterModeCluster>(cluster);
