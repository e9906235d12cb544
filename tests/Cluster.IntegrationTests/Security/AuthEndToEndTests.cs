using Cluster.Client;
using Cluster.IntegrationTests.Futures;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// A client token end to end against `cluster up --tokens FILE`, whose own worker process holds
/// only the worker token `up` gave it in memory (the file grants no worker it could know). Runs
/// once on each store.
/// </summary>
public abstract class AuthEndToEndTests<TFixture>(TFixture cluster) where TFixture : AuthCluster
{
    protected TFixture Cluster { get; } = cluster;

    [SkippableFact]
    public async Task ClientToken_SubmitsAndGetsEveryResult_FromTheWorkerThatUpGaveAnInMemoryToken()
    {
        Cluster.Require();
        var workers = (await Cluster.AdminFor(Cluster.AdminToken).StatusAsync(new StatusRequest())).Workers;
        Assert.Contains(workers, w => w.Host != "auth-test");
        Assert.DoesNotContain("cluster-up-workers", await File.ReadAllTextAsync(Cluster.TokensFile!), StringComparison.Ordinal);
        await using var executor = Cluster.NewExecutor(Cluster.ClientToken);

        var futures = Enumerable.Range(0, 50).Select(i => executor.Submit<long>("add", i, 1000)).ToList();
        var results = await Task.WhenAll(futures.Select(f => f.WithTimeout()));

        Assert.Equal(Enumerable.Range(0, 50).Select(i => i + 1000L), results);
    }

    [SkippableFact]
    public async Task ExecutorWithoutAToken_FailsItsFuture_Unauthenticated()
    {
        Cluster.Require();
        await using var executor = new ClusterExecutor(Cluster.Address.ToString(), new ClusterExecutorOptions { UnavailableTimeout = TimeSpan.FromSeconds(2) });

        var future = executor.Submit<long>("add", 1, 2);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => future.WithTimeout());
        Assert.Contains("no bearer token", error.ToString(), StringComparison.Ordinal);
    }
}
