using System.Diagnostics;
using Cluster.Client;
using Cluster.IntegrationTests.Futures;
using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Client;

/// <summary>
/// As CPython's add_done_callback: on a future already done — seen by <see cref="ClusterFuture.Done"/>
/// or by its result returning — the callback runs on the calling thread before AddDoneCallback returns,
/// however close to the resolution the call comes.
/// </summary>
public abstract class DoneCallbackTests<TFixture>(TFixture cluster) where TFixture : ClusterFixture
{
    private const int Iterations = 200;

    protected TFixture Cluster { get; } = cluster;

    [SkippableFact]
    public async Task AddDoneCallback_RightAfterTheFutureIsSeenDone_RunsTheCallbackBeforeReturning()
    {
        Cluster.Require();
        await using var executor = Cluster.NewExecutor();
        // A result of many numbers takes the resolving thread a moment to read: a callback added in
        // that moment, by a thread that has just seen the future done, must still run at once.
        var numbers = Enumerable.Range(0, 16_384).ToArray();
        var late = new List<string>();
        for (var i = 0; i < Iterations; i++)
        {
            var future = executor.Submit<int[]>("echo", numbers);
            var seenBy = i % 2 == 0 ? "seen by Done" : "after Result";
            if (i % 2 == 0)
            {
                SpinUntilDone(future);
            }
            else
            {
                Assert.Equal(numbers, future.Result(TaskTimeouts.Default));
            }

            var thread = Environment.CurrentManagedThreadId;
            var ranOn = 0;
            future.AddDoneCallback(_ => ranOn = Environment.CurrentManagedThreadId);

            if (ranOn != thread)
            {
                late.Add($"iteration {i} ({seenBy}): the callback had not run");
            }
            // Done means the outcome is there: no wait for it.
            if (!future.AsTask().IsCompleted)
            {
                late.Add($"iteration {i} ({seenBy}): no result yet");
            }
            Assert.Equal(numbers, await future.WithTimeout());
        }

        Assert.True(late.Count == 0, $"A future seen done was not done for AddDoneCallback {late.Count} times in {Iterations} iterations: {string.Join("; ", late.Take(10))}");
    }

    private static void SpinUntilDone(ClusterFuture future)
    {
        var watch = Stopwatch.StartNew();
        while (!future.Done)
        {
            if (watch.Elapsed > TaskTimeouts.Default)
            {
                throw new TimeoutException($"{future} did not finish within {TaskTimeouts.Default}.");
            }
            Thread.SpinWait(20);
        }
    }
}

[Collection("futures")]
public sealed class EmbeddedStoreDoneCallbackTests(EmbeddedCluster cluster) : DoneCallbackTests<EmbeddedCluster>(cluster);

[Collection("client on redis-server")]
public sealed class RedisServerDoneCallbackTests(RedisCluster cluster) : DoneCallbackTests<RedisCluster>(cluster);
