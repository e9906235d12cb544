using Cluster.Client;
using Cluster.IntegrationTests.Futures;
using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Client;

/// <summary>
/// Idempotency keys as the executor keeps them: one future per key while it is pending; once it is
/// done the key is forgotten here and the coordinator, which holds the key for its retention,
/// answers a later submit with the task that holds it. A retried submit never hides that answer.
/// </summary>
public abstract class IdempotencyKeyTests<TFixture>(TFixture cluster) where TFixture : ClusterFixture
{
    protected TFixture Cluster { get; } = cluster;

    [SkippableFact]
    public async Task RetriedSubmit_FailsWithTaskRejected_NamingTheHolder_WhenAnotherTaskHoldsItsIdempotencyKey()
    {
        Cluster.Require();
        var key = NewKey();
        await using var first = Cluster.NewExecutor();
        var holder = first.Submit<long>(new SubmitOptions { IdempotencyKey = key }, "add", 1, 2);
        Assert.Equal(3, await holder.WithTimeout());
        // Dead coordinators ahead of the live one: the submit's first attempt fails Unavailable and a
        // retry (attempt 2 or 3) reaches the live coordinator, which holds the key for the other task.
        var second = new ClusterExecutor([DeadCoordinator.Address(), DeadCoordinator.Address(), Cluster.Address.ToString()]);
        try
        {
            var retried = second.Submit<long>(new SubmitOptions { IdempotencyKey = key }, "add", 1, 2);

            var error = await Assert.ThrowsAsync<TaskRejectedException>(() => retried.AsTask().WithTimeout(TimeSpan.FromSeconds(30)));

            Assert.Equal("AlreadyExists", error.Code);
            Assert.Equal(holder.Id, error.ExistingTaskId);
            Assert.Equal(retried.Id, error.TaskId);
            Assert.Equal(FutureState.Finished, retried.State);
        }
        finally
        {
            // Not waiting: a future left pending by a failed check must not hang the test.
            await second.ShutdownAsync(wait: false, cancelFutures: true).WithTimeout();
        }
    }

    [SkippableFact]
    public async Task KeyOfAPendingFuture_ReturnsThatFuture()
    {
        Cluster.Require();
        await using var scope = new FutureScope(Cluster);
        var options = new SubmitOptions { IdempotencyKey = NewKey() };
        var name = FutureScope.UnhandledName();

        var pending = scope.Hold(scope.Executor.Submit<int>(options, name));

        Assert.Same(pending, scope.Executor.Submit<int>(options, name));
        Assert.Equal(1, scope.Executor.PendingCount);
    }

    [SkippableFact]
    public async Task KeyOfAFutureThatIsDone_IsForgottenByTheExecutor_AndTheCoordinatorNamesItsHolder()
    {
        Cluster.Require();
        await using var executor = Cluster.NewExecutor();
        var options = new SubmitOptions { IdempotencyKey = NewKey() };
        var first = executor.Submit<long>(options, "add", 1, 2);
        Assert.Equal(3, await first.WithTimeout());

        var later = executor.Submit<long>(options, "add", 1, 2);

        // Not the old future: the executor keeps a key only while its future is pending.
        Assert.NotSame(first, later);
        var error = await Assert.ThrowsAsync<TaskRejectedException>(() => later.AsTask().WithTimeout());
        Assert.Equal("AlreadyExists", error.Code);
        Assert.Equal(first.Id, error.ExistingTaskId);
        Assert.Equal(0, executor.PendingCount);
    }

    private static string NewKey() => "key-" + Guid.NewGuid().ToString("N");
}

[Collection("futures")]
public sealed class EmbeddedStoreIdempotencyKeyTests(EmbeddedCluster cluster) : IdempotencyKeyTests<EmbeddedCluster>(cluster);

[Collection("client on redis-server")]
public sealed class RedisServerIdempotencyKeyTests(RedisCluster cluster) : IdempotencyKeyTests<RedisCluster>(cluster);
