using System.Diagnostics;
using Cluster.Contracts;
using Cluster.IntegrationTests.Futures;
using Cluster.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Cluster.IntegrationTests.Queues;

/// <summary>
/// A queue between processes: producers in worker processes (task handlers) and consumers in
/// the test's process pass 100,000 items (20,000 on redis-server) through a queue of at most 100, each seen exactly once;
/// and, at least once, the item of a consumer process killed with SIGKILL before it marked the
/// item done goes to another consumer when its lease runs out.
/// </summary>
public abstract class QueueProcessTests<TFixture>(TFixture cluster, ITestOutputHelper output) where TFixture : ClusterFixture
{
    /// <summary>Items passed through the queue: 100,000 on the embedded store; fewer on redis-server, which the rest of the suite covers too.</summary>
    protected virtual int Items => 100_000;

    [SkippableFact]
    public async Task ProducerAndConsumerInSeparateProcesses_PassEveryItem_NoneLostOrDoubled()
    {
        cluster.Require();
        const int Consumers = 4;
        await using var executor = cluster.NewExecutor();
        var name = "q-" + Guid.NewGuid().ToString("N")[..12];
        var queue = executor.GetQueue<long>(name, maxSize: 100);
        var watch = Stopwatch.StartNew();
        // The producers: task handlers in the cluster's worker processes, each putting its half of 0 .. Items-1.
        var produced = new[]
        {
            executor.Submit<int>("queue.produce", name, 0, Items / 2, 100),
            executor.Submit<int>("queue.produce", name, Items / 2, Items / 2, 100),
        };

        // The consumers: loops in this process, each taking items until all are taken.
        var seen = new int[Items];
        var taken = 0;
        var largest = 0L;
        var consumers = Enumerable.Range(0, Consumers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref taken) <= Items)
            {
                var item = await queue.GetAsync(TimeSpan.FromSeconds(60));
                Interlocked.Increment(ref seen[item]);
                InterlockedMax(ref largest, item);
            }
        })).ToArray();
        while (!Task.WhenAll(consumers).IsCompleted)
        {
            Assert.True(await queue.CountAsync() <= 100, "the queue held more than its bound");
            await Task.WhenAny(Task.WhenAll(consumers), Task.Delay(1000));
        }
        await Task.WhenAll(consumers).WithTimeout();
        var elapsed = watch.Elapsed;

        foreach (var future in produced)
        {
            Assert.Equal(Items / 2, await future.WithTimeout());
        }
        Assert.Equal(Items - 1, largest);
        Assert.Empty(Enumerable.Range(0, Items).Where(i => seen[i] != 1).Take(10).Select(i => $"item {i} came {seen[i]} times"));
        Assert.False(queue.TryGet(out var extra), $"item {extra} was left over");
        output.WriteLine($"{Items} items through a queue of 100 (2 producer processes, {Consumers} consumer loops) in {elapsed.TotalSeconds:0.0} s: {Items / elapsed.TotalSeconds:0} items/s");
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }

    [SkippableFact]
    public async Task AtLeastOnce_TheItemOfAConsumerKilledBeforeTaskDone_GoesToAnotherConsumer()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        var name = "q-" + Guid.NewGuid().ToString("N")[..12];
        var options = new ClusterQueueOptions { AtLeastOnce = true, LeaseDuration = TimeSpan.FromSeconds(5) };
        var queue = executor.GetQueue<string>(name, options);
        await queue.PutAsync("precious").WithTimeout();

        // The first consumer: a task handler in a worker process; it takes the item, says its PID, and holds the item.
        var holder = executor.Submit<string>("queue.hold", name, 1000);
        await TaskTimeouts.Eventually(() => Task.FromResult(holder.Progress?.Message is not null), "the holding consumer has taken the item");
        var said = holder.Progress!.Message!.Split(' ', 2);
        var pid = int.Parse(said[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("precious", said[1]);
        Assert.False(queue.TryGet(out _));
        Assert.True(ChildProcess.Signal(pid, ChildProcess.SigKill), $"worker process {pid} could not be killed");

        // Another consumer (this process) gets it once the dead one's lease runs out.
        Assert.Equal("precious", await queue.GetAsync(TimeSpan.FromSeconds(30)).WithTimeout());
        Assert.False(ProcFs.IsAlive(pid));
        await queue.TaskDoneAsync().WithTimeout();
        Assert.True(queue.Join(TimeSpan.FromSeconds(10)));
        queue.Dispose();
        // The holder ran again on a worker process that took nothing; the daemon replaced the killed one.
        Assert.Equal("not again", await holder.WithTimeout());
        await cluster.WaitForWorkersAsync(cluster.Processes);
    }
}

[Collection("futures")]
public sealed class EmbeddedStoreQueueProcessTests(EmbeddedCluster cluster, ITestOutputHelper output) : QueueProcessTests<EmbeddedCluster>(cluster, output);

[Collection("client on redis-server")]
public sealed class RedisServerQueueProcessTests(RedisCluster cluster, ITestOutputHelper output) : QueueProcessTests<RedisCluster>(cluster, output)
{
    protected override int Items => 20_000;
}
