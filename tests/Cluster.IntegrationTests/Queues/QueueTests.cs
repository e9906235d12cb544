using System.Diagnostics;
using Cluster.Contracts;
using Cluster.IntegrationTests.Futures;
using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Queues;

/// <summary>
/// The cluster's queue as Python's queue.Queue: FIFO order, the nowait forms and their exceptions,
/// timeouts, a bounded queue that holds producers back until a get makes room, a get woken by a put
/// from another executor, join waiting for task_done, qsize, and bad input refused with its name.
/// </summary>
public abstract class QueueTests<TFixture>(TFixture cluster) where TFixture : ClusterFixture
{
    private static string NewName() => "q-" + Guid.NewGuid().ToString("N")[..12];

    [SkippableFact]
    public async Task Put_ThenGet_ReturnsItemsInOrder_AndCountFollows()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        var queue = executor.GetQueue<string>(NewName());

        foreach (var item in new[] { "a", "b", "c", "d" })
        {
            await queue.PutAsync(item).WithTimeout();
        }
        Assert.Equal(4, queue.Count);

        Assert.Equal("a", queue.Get());
        Assert.Equal("b", await queue.GetAsync().WithTimeout());
        Assert.True(queue.TryGet(out var third));
        Assert.Equal("c", third);
        Assert.Equal("d", queue.Get(block: false));
        Assert.Equal(0, await queue.CountAsync().WithTimeout());
    }

    [SkippableFact]
    public async Task Get_OnAnEmptyQueue_ThrowsQueueEmpty_AtOnceOrAfterItsTimeout()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        var queue = executor.GetQueue<int>(NewName());

        Assert.Throws<QueueEmptyException>(() => queue.Get(block: false));
        Assert.False(queue.TryGet(out _));
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAsync<QueueEmptyException>(() => queue.GetAsync(TimeSpan.FromMilliseconds(400)).WithTimeout());
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(390), $"the get gave up after {watch.Elapsed}");
    }

    [SkippableFact]
    public async Task Put_OnAFullQueue_ThrowsQueueFull_AtOnceOrAfterItsTimeout()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        var queue = executor.GetQueue<int>(NewName(), maxSize: 2);
        queue.Put(1);
        Assert.True(queue.TryPut(2));

        Assert.Throws<QueueFullException>(() => queue.Put(3, block: false));
        Assert.False(queue.TryPut(3));
        var watch = Stopwatch.StartNew();
        Assert.Throws<QueueFullException>(() => queue.Put(3, timeout: TimeSpan.FromMilliseconds(400)));
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(390), $"the put gave up after {watch.Elapsed}");
        Assert.Equal(2, queue.Count);
    }

    [SkippableFact]
    public async Task Put_OnAFullQueue_WaitsUntilAGetMakesRoom()
    {
        cluster.Require();
        await using var producer = cluster.NewExecutor();
        await using var consumer = cluster.NewExecutor();
        var name = NewName();
        var queue = producer.GetQueue<int>(name, maxSize: 2);
        await queue.PutAsync(1).WithTimeout();
        await queue.PutAsync(2).WithTimeout();

        var blocked = queue.PutAsync(3);
        await Task.WhenAny(blocked, Task.Delay(500));
        Assert.False(blocked.IsCompleted, "a put on a full queue returned without waiting");

        Assert.Equal(1, await consumer.GetQueue<int>(name).GetAsync().WithTimeout());
        await blocked.WithTimeout();
        Assert.Equal(2, queue.Count);
        Assert.Equal(2, queue.Get());
        Assert.Equal(3, queue.Get());
    }

    [SkippableFact]
    public async Task Get_OnAnEmptyQueue_WaitsForAPutFromAnotherExecutor()
    {
        cluster.Require();
        await using var consumer = cluster.NewExecutor();
        await using var producer = cluster.NewExecutor();
        var name = NewName();

        var waiting = consumer.GetQueue<string>(name).GetAsync();
        await Task.WhenAny(waiting, Task.Delay(300));
        Assert.False(waiting.IsCompleted, "a get on an empty queue returned without waiting");
        await producer.GetQueue<string>(name).PutAsync("hello").WithTimeout();

        Assert.Equal("hello", await waiting.WithTimeout());
    }

    [SkippableFact]
    public async Task Join_ReturnsOnlyWhenEveryItemIsMarkedDone()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        var queue = executor.GetQueue<int>(NewName());
        for (var i = 0; i < 3; i++)
        {
            await queue.PutAsync(i).WithTimeout();
        }
        var joined = queue.JoinAsync();
        Assert.False(queue.Join(TimeSpan.FromMilliseconds(200)));

        for (var i = 0; i < 3; i++)
        {
            queue.Get();
        }
        queue.TaskDone();
        await queue.TaskDoneAsync().WithTimeout();
        await Task.WhenAny(joined, Task.Delay(300));
        Assert.False(joined.IsCompleted, "join returned with an item not marked done");
        queue.TaskDone();

        await joined.WithTimeout();
        Assert.True(queue.Join(TimeSpan.FromSeconds(10)));
    }

    [SkippableFact]
    public async Task TaskDone_CalledMoreTimesThanItemsPut_Throws()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        var queue = executor.GetQueue<int>(NewName());
        queue.Put(7);
        Assert.Equal(7, queue.Get());
        queue.TaskDone();

        var error = Assert.Throws<InvalidOperationException>(queue.TaskDone);
        Assert.Contains("more times than items were put", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task BadInput_IsRefusedWithItsName()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();

        var name = Assert.Throws<ArgumentException>(() => executor.GetQueue<int>("no spaces").Put(1));
        Assert.Contains("'no spaces'", name.Message, StringComparison.Ordinal);
        var bound = Assert.Throws<ArgumentException>(() => executor.GetQueue<int>(NewName(), maxSize: -1));
        Assert.Contains("MaxSize", bound.Message, StringComparison.Ordinal);
        var lease = Assert.Throws<ArgumentException>(() => executor.GetQueue<int>(NewName(), new ClusterQueueOptions { AtLeastOnce = true, LeaseDuration = TimeSpan.FromMilliseconds(10) }));
        Assert.Contains("LeaseDuration", lease.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task AtLeastOnce_AnItemHeldPastItsLease_IsKeptWhileRenewed_AndComesBackWhenNot()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        var name = NewName();
        var options = new ClusterQueueOptions { AtLeastOnce = true, LeaseDuration = TimeSpan.FromSeconds(2) };
        var first = executor.GetQueue<string>(name, options);
        var second = executor.GetQueue<string>(name, options);
        first.Put("kept");
        Assert.Equal("kept", first.Get());

        // Renewed by its holder past its lease: nobody else gets it.
        await Assert.ThrowsAsync<QueueEmptyException>(() => Task.Run(() => second.Get(timeout: TimeSpan.FromSeconds(3))).WithTimeout());
        first.Put("dropped");
        Assert.Equal("dropped", first.Get());
        first.TaskDone(); // "kept"
        first.Dispose(); // "dropped" is no longer renewed: it comes back after its lease

        Assert.Equal("dropped", await second.GetAsync(TimeSpan.FromSeconds(30)).WithTimeout());
        Assert.False(second.Join(TimeSpan.FromMilliseconds(100)));
        await second.TaskDoneAsync().WithTimeout();
        Assert.True(second.Join(TimeSpan.FromSeconds(10)));
        Assert.Throws<InvalidOperationException>(second.TaskDone);
        second.Dispose();
    }

    [SkippableFact]
    public async Task ATaskHandler_ProducesIntoAQueueTheClientConsumes()
    {
        cluster.Require();
        await using var executor = cluster.NewExecutor();
        var name = NewName();
        var produced = executor.Submit<int>("queue.produce", name, 1000, 500, 10);

        var queue = executor.GetQueue<long>(name);
        var seen = new List<long>();
        for (var i = 0; i < 500; i++)
        {
            seen.Add(await queue.GetAsync(TimeSpan.FromSeconds(30)).WithTimeout());
            Assert.True(await queue.CountAsync().WithTimeout() <= 10, "the producer put past the bound");
        }

        Assert.Equal(500, await produced.WithTimeout());
        Assert.Equal(Enumerable.Range(1000, 500).Select(i => (long)i), seen);
        Assert.False(queue.TryGet(out _));
    }
}

[Collection("futures")]
public sealed class EmbeddedStoreQueueTests(EmbeddedCluster cluster) : QueueTests<EmbeddedCluster>(cluster);

[Collection("client on redis-server")]
public sealed class RedisServerQueueTests(RedisCluster cluster) : QueueTests<RedisCluster>(cluster);
