using Cluster.IntegrationTests.Infrastructure;
using Cluster.IntegrationTests.Security;
using Grpc.Core;

namespace Cluster.IntegrationTests.Queues;

/// <summary>
/// With tokens, a queue's name is in its identity's namespace, as task ids are: two identities
/// naming the same queue reach two queues; an identity with neither the client nor the worker
/// role is refused, with the roles named.
/// </summary>
public sealed class QueueOwnershipTests(OwnershipEmbeddedTokensCluster cluster) : IClassFixture<OwnershipEmbeddedTokensCluster>
{
    [SkippableFact]
    public async Task TwoIdentities_NamingOneQueue_ReachTheirOwn()
    {
        cluster.Require();
        await using var alice = cluster.NewExecutor(cluster.AliceToken);
        await using var bob = cluster.NewExecutor(cluster.BobToken);
        var name = "shared-" + Guid.NewGuid().ToString("N")[..8];

        await alice.GetQueue<string>(name).PutAsync("alice's").WithTimeout();

        Assert.False(bob.GetQueue<string>(name).TryGet(out var taken), $"bob took '{taken}' from alice's queue");
        Assert.Equal(0, await bob.GetQueue<string>(name).CountAsync().WithTimeout());
        Assert.Equal(1, await alice.GetQueue<string>(name).CountAsync().WithTimeout());
        Assert.Equal("alice's", await alice.GetQueue<string>(name).GetAsync().WithTimeout());
    }

    [SkippableFact]
    public async Task AnIdentityWithoutTheClientOrWorkerRole_IsRefused()
    {
        cluster.Require();
        await using var admin = cluster.NewExecutor(cluster.AdminToken);

        var refused = await Assert.ThrowsAsync<RpcException>(() => admin.GetQueue<int>("any").PutAsync(1).WithTimeout());

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("lacks the 'client' or 'worker' role needed by /cluster.v1.ItemQueues/Put", refused.Status.Detail, StringComparison.Ordinal);
    }
}
