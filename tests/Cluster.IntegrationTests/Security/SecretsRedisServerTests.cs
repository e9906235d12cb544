using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using StackExchange.Redis;

namespace Cluster.IntegrationTests.Security;

public sealed class SecretsRedisServerTests(SecretsRedisCluster cluster) : SecretsTests<SecretsRedisCluster>(cluster), IClassFixture<SecretsRedisCluster>
{
    [SkippableFact]
    public async Task Coordinator_OnARedisWithAUserAndPassword_Works_AndNeverEchoesThem_EvenWhenItsConnectionsAreCut()
    {
        Cluster.Require();
        await using var executor = Cluster.NewExecutor();
        await using var admin = await ConnectionMultiplexer.ConnectAsync(Cluster.AdminConfiguration);

        var before = await executor.Submit<long>("add", 40, 2).AsTask().WithTimeout();
        // Every other connection is cut: the coordinator and the store's client library report it, and log in again.
        await admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
        await admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
        var after = await executor.Submit<long>("add", 1, 2).AsTask().WithTimeout();
        var status = await Cluster.Admin.StatusAsync(new StatusRequest()).ResponseAsync.WithTimeout();

        Assert.Equal((42, 3), (before, after));
        Assert.StartsWith($"redis {Cluster.RedisAddress} ", status.Store, StringComparison.Ordinal);
        foreach (var secret in new[] { SecretsRedisCluster.User, SecretsRedisCluster.Password })
        {
            Assert.DoesNotContain(secret, status.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(secret, Cluster.Output, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task Coordinator_WithAWrongRedisPassword_FailsToStart_NamingTheProblem_WithoutThePassword()
    {
        Cluster.Require();
        var wrong = "wrong" + Guid.NewGuid().ToString("N");
        await using var coordinator = ChildProcess.StartCluster("coordinator", "--port", "0", "--redis", $"{Cluster.RedisAddress},user={SecretsRedisCluster.User},password={wrong}");

        var exitCode = await coordinator.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        Assert.Contains($"cluster: Cannot reach the task store at {Cluster.RedisAddress}: it refused the credentials", coordinator.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", coordinator.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, coordinator.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretsRedisCluster.User, coordinator.Output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Submit_WhenRedisIsPastItsMaxmemory_GetsAFixedMessage_WithoutTheStoresOwnText()
    {
        Cluster.Require();
        await using var admin = await ConnectionMultiplexer.ConnectAsync(Cluster.AdminConfiguration);
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        var marker = "o" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            // Any write now refuses: used memory is over one byte, and the policy evicts nothing.
            await server.ConfigSetAsync("maxmemory-policy", "noeviction");
            await server.ConfigSetAsync("maxmemory", "1");
            var e = await Assert.ThrowsAsync<RpcException>(async () => await Cluster.Tasks.SubmitAsync(new SubmitRequest
            {
                Session = "s" + marker,
                Tasks = { new TaskSpec { Id = marker + ".1", Name = "echo", Args = ByteString.CopyFromUtf8("[1]") } },
            }).ResponseAsync.WithTimeout());

            Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
            Assert.Equal("The task store is full: Redis used memory is over its 'maxmemory' limit, so nothing was stored. Raise maxmemory or let the queues drain.", e.Status.Detail);
            // The store's own words stay on the coordinator.
            await TaskTimeouts.Eventually(() => Task.FromResult(Cluster.Output.Contains("OOM command not allowed", StringComparison.Ordinal)), "the coordinator logs the store's error");
        }
        finally
        {
            await server.ConfigSetAsync("maxmemory", "0");
        }
    }
}
