using System.Text.Json;
using Cluster.IntegrationTests.Administration;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Google.Protobuf;

namespace Cluster.IntegrationTests.Cli;

/// <summary>`cluster status --json` and `cluster dead-letters --json` on a real cluster: one JSON document with the counts.</summary>
public abstract class JsonOutputTests<TFixture>(TFixture cluster) where TFixture : ClusterFixture
{
    protected TFixture Cluster => cluster;

    [SkippableFact]
    public async Task Status_Json_CarriesTheWorkers_AndEachQueuesCount()
    {
        Cluster.Require();
        var marker = "j" + Guid.NewGuid().ToString("N")[..8];
        var name = "nobody-" + marker;
        var request = new SubmitRequest { Session = "s" + marker };
        request.Tasks.Add(new TaskSpec { Id = marker + ".0", Name = name, Args = ByteString.CopyFromUtf8("[0]") });
        request.Tasks.Add(new TaskSpec { Id = marker + ".1", Name = name, Args = ByteString.CopyFromUtf8("[1]") });
        Assert.Empty((await Cluster.Tasks.SubmitAsync(request)).Rejected);
        var status = await Cluster.Admin.StatusAsync(new StatusRequest());

        // The address from the environment variable: no --coordinator.
        var run = await CommandOutput.RunAsync(new Dictionary<string, string> { ["CLUSTER_COORDINATOR"] = Cluster.Address.ToString() }, "status", "--json");

        Assert.True(run.ExitCode == 0, run.Output);
        using var json = JsonDocument.Parse(run.Output);
        var root = json.RootElement;
        Assert.Equal(status.Store, root.GetProperty("store").GetString());
        Assert.Equal(status.Workers.Count, root.GetProperty("workerCount").GetInt32());
        Assert.Equal(status.Workers.Select(w => w.WorkerId).Order(), root.GetProperty("workers").EnumerateArray().Select(w => w.GetProperty("workerId").GetString()).Order());
        var queue = root.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("name").GetString() == name);
        Assert.Equal(2, queue.GetProperty("queued").GetInt64());
        Assert.True(queue.GetProperty("waiting").GetBoolean());
        Assert.True(root.GetProperty("queuedCount").GetInt64() >= 2);
    }

    [SkippableFact]
    public async Task DeadLetters_Json_CarriesTheTotal_AndEachLettersErrors()
    {
        Cluster.Require();
        var marker = "k" + Guid.NewGuid().ToString("N")[..8];
        var request = new SubmitRequest { Session = "s" + marker };
        for (var i = 0; i < 2; i++)
        {
            // One attempt, any error worth a retry: the first failure dead-letters it.
            request.Tasks.Add(new TaskSpec { Id = $"{marker}.{i}", Name = "fail", Args = ByteString.CopyFromUtf8($"[\"boom {i}\"]"), Policy = new RetryPolicy { MaxAttempts = 1, RetryOn = { "*" } } });
        }
        Assert.Empty((await Cluster.Tasks.SubmitAsync(request)).Rejected);
        await TaskTimeouts.Eventually(async () => (await Cluster.Admin.DeadLettersAsync(new DeadLettersRequest())).Letters.Count(l => l.TaskId.StartsWith(marker, StringComparison.Ordinal)) == 2, "both tasks are dead-lettered");
        var total = (await Cluster.Admin.DeadLettersAsync(new DeadLettersRequest())).Total;

        var run = await CommandOutput.RunAsync("dead-letters", "--coordinator", Cluster.Address.ToString(), "--json", "--limit", "1000");

        Assert.True(run.ExitCode == 0, run.Output);
        using var json = JsonDocument.Parse(run.Output);
        var root = json.RootElement;
        Assert.Equal(total, root.GetProperty("total").GetInt32());
        Assert.Equal(1, root.GetProperty("page").GetInt32());
        for (var i = 0; i < 2; i++)
        {
            var letter = root.GetProperty("letters").EnumerateArray().Single(l => l.GetProperty("taskId").GetString() == $"{marker}.{i}");
            Assert.Equal("fail", letter.GetProperty("name").GetString());
            Assert.Contains($"boom {i}", Assert.Single(letter.GetProperty("errors").EnumerateArray()).GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }
}

public sealed class EmbeddedStoreJsonOutputTests(LimitedEmbeddedCluster cluster) : JsonOutputTests<LimitedEmbeddedCluster>(cluster), IClassFixture<LimitedEmbeddedCluster>;

public sealed class RedisServerJsonOutputTests(LimitedRedisCluster cluster) : JsonOutputTests<LimitedRedisCluster>(cluster), IClassFixture<LimitedRedisCluster>;
