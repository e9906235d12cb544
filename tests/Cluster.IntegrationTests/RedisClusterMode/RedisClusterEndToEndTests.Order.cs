using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.IntegrationTests.Order;
using Cluster.SampleTasks.Contracts;
using Cluster.Protocol.V1;

namespace Cluster.IntegrationTests;

/// <summary>
/// Priorities, routing queues and rate limits on the sharded keyspace of a real Redis Cluster, with
/// two coordinators: each shard keeps its own order of a route's ready tasks, and each its share of a
/// name's rate limit, so the whole holds the limit.
/// </summary>
public sealed partial class RedisClusterEndToEndTests
{
    private static string NewQueue(string what) => what + "-" + Guid.NewGuid().ToString("N")[..8];

    private async Task<QueueStatus?> QueueAsync(string name, string queue) =>
        (await Cluster.Admin.StatusAsync(new StatusRequest())).Queues.SingleOrDefault(q => q.Name == name && q.Queue == queue);

    [SkippableFact]
    public async Task PriorityNineTask_BehindAThousandOfPriorityFive_RunsWithinOneRoundOfTheShards()
    {
        Cluster.Require();
        var queue = NewQueue("prio");
        await using var executor = Cluster.NewExecutor();
        try
        {
            // "clock" returns when it started on the worker (Unix ms).
            var low = Enumerable.Range(0, 1000).Select(_ => executor.Submit<ClockReading>(new SubmitOptions { Queue = queue }, "clock")).ToList();
            var high = executor.Submit<ClockReading>(new SubmitOptions { Queue = queue, Priority = 9 }, "clock");
            await TaskTimeouts.Eventually(async () => (await QueueAsync("clock", queue)) is { Queued: 1001, NoListener: true }, $"1,001 tasks wait in queue '{queue}', which no worker listens to");

            await using var worker = StartTimes.StartWorker(Cluster.Address, queue, threads: 1);
            var lows = await Task.WhenAll(low.Select(f => f.AsTask())).WithTimeout(TimeSpan.FromMinutes(2));
            var started = (await high.AsTask().WithTimeout()).StartedUnixMs;

            // The tasks lie in 12 shards by id; each shard leases its own ready tasks by priority, and
            // the leases visit the shards in turn: the priority-9 task goes within one round of them.
            var earlier = lows.Count(r => r.StartedUnixMs < started);
            output.WriteLine($"{earlier} of the 1,000 priority-5 tasks started before the priority-9 one");
            Assert.True(earlier <= 200, $"{earlier} priority-5 tasks started before the priority-9 one");
        }
        finally
        {
            await executor.ShutdownAsync(wait: false, cancelFutures: true);
        }
    }

    [SkippableFact]
    public async Task DelayedTasks_InEveryShard_RunNoEarlierThanTheirTime()
    {
        Cluster.Require();
        await using var executor = Cluster.NewExecutor();
        var delay = TimeSpan.FromSeconds(2);
        var submitted = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var futures = Enumerable.Range(0, 48).Select(_ => executor.Submit<ClockReading>(new SubmitOptions { Delay = delay }, "clock")).ToList();

        var readings = await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout();

        // 48 ids spread over the 12 shards; each shard's reaper promotes its own delayed tasks.
        var earliest = readings.Min(r => r.StartedUnixMs) - submitted;
        Assert.True(earliest >= delay.TotalMilliseconds, $"a task started {earliest} ms after its submit, before its delay of {delay.TotalMilliseconds} ms");
    }

    [SkippableFact]
    public async Task RateLimitOfTwentyASecond_HoldsOverTwelveShards_WithAWorkerOnEachOfTwoCoordinators()
    {
        Cluster.Require();
        var (second, port) = await StartSecondCoordinatorAsync(Cluster.RedisClusterServer!);
        await using var _ = second;
        var queue = NewQueue("limit");
        await using var executor = Cluster.NewExecutor();
        await using var other = new ClusterExecutor($"http://127.0.0.1:{port}");
        // "throttled" is registered with a limit of 20 a second; it returns when it started (unix ms).
        var futures = Enumerable.Range(0, 120).Select(i => (i % 2 == 0 ? executor : other).Submit<long>(new SubmitOptions { Queue = queue }, "throttled")).ToList();
        await TaskTimeouts.Eventually(async () => (await QueueAsync("throttled", queue))?.Queued == 120, "120 tasks are queued");

        await using var first = StartTimes.StartWorker(Cluster.Address, queue, threads: 4);
        await using var secondWorker = StartTimes.StartWorker(new Uri($"http://127.0.0.1:{port}"), queue, threads: 4);
        var starts = (await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout(TimeSpan.FromMinutes(3))).Order().ToArray();

        // Each of the 12 shards refills at a twelfth of the rate and holds at most one token, so any
        // two seconds hold at most 40 starts plus one per shard (and a few bunched by a busy host).
        var most = StartTimes.MostWithin(starts, 2000);
        Assert.True(most <= 2 * 20 + 12 + 4, $"{most} tasks started within two seconds; the limit is 20 a second");
        var perSecond = (starts.Length - 1) * 1000.0 / (starts[^1] - starts[0]);
        Assert.True(perSecond <= 23.0, $"{perSecond:0.0} tasks a second over the run; the limit is 20");
    }
}
