using System.Text;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using static Cluster.IntegrationTests.Security.OwnershipCalls;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// Sessions, task ids and idempotency keys belong to the identity that used them: bob, knowing
/// every id and session name of alice, can neither read, acknowledge nor cancel her tasks, learns
/// none of her task ids from an idempotency key, and a task id of hers he submits is a task of his
/// own. Every id comes back to a client as it gave it. Over the raw contract, on both stores.
/// </summary>
public abstract class OwnershipTests<TFixture>(TFixture cluster) where TFixture : OwnershipTokensCluster
{
    [SkippableFact]
    public async Task Completions_OfAnotherIdentitysSession_CarryNoneOfItsTasks()
    {
        cluster.Require();
        var session = NewSession();
        await SubmitAsync(cluster.Alice, session, Echo("c.1", "\"secret\""));
        using var alices = cluster.Alice.Completions(new CompletionsRequest { Session = session });
        var hers = await ReadUntilAsync(alices, b => b.Completions.Any(c => c.TaskId == "c.1"));
        // Her completion comes back under the id she gave.
        Assert.Equal("\"secret\"", hers.SelectMany(b => b.Completions).Single(c => c.TaskId == "c.1").Result.ToStringUtf8());

        using var bobs = cluster.Bob.Completions(new CompletionsRequest { Session = session });
        await SubmitAsync(cluster.Bob, session, Echo("marker", "0"));

        var read = await ReadUntilAsync(bobs, b => b.Completions.Any(c => c.TaskId == "marker"));
        Assert.Equal(["marker"], read.SelectMany(b => b.Completions).Select(c => c.TaskId));
    }

    [SkippableFact]
    public async Task Ack_OnAnotherIdentitysSession_DropsNoneOfItsCompletions()
    {
        cluster.Require();
        var session = NewSession();
        await SubmitAsync(cluster.Alice, session, Echo("k.1", "1"));
        using (var alices = cluster.Alice.Completions(new CompletionsRequest { Session = session }))
        {
            await ReadUntilAsync(alices, b => b.Completions.Any(c => c.TaskId == "k.1"));
        }

        await cluster.Bob.AckAsync(new AckRequest { Session = session, UpToSeq = long.MaxValue }).ResponseAsync.WithTimeout();

        using var again = cluster.Alice.Completions(new CompletionsRequest { Session = session });
        var read = await ReadUntilAsync(again, b => b.Completions.Any(c => c.TaskId == "k.1"));
        Assert.Equal("1", read.SelectMany(b => b.Completions).Single().Result.ToStringUtf8());
    }

    [SkippableFact]
    public async Task Cancel_OfAnotherIdentitysTasks_CancelsAndInterruptsNothing()
    {
        cluster.Require();
        var session = NewSession();
        var queued = new TaskSpec { Id = "queued", Name = "nobody_" + Guid.NewGuid().ToString("N")[..12], Args = ByteString.CopyFromUtf8("[]") };
        var running = new TaskSpec { Id = "running", Name = "sleep", Args = ByteString.CopyFromUtf8("[1.5]") };
        using var alices = cluster.Alice.Completions(new CompletionsRequest { Session = session });
        await SubmitAsync(cluster.Alice, session, queued, running);
        var started = await ReadUntilAsync(alices, b => b.Events.Any(e => e.TaskId == "running" && e.Started is not null));
        // Her notice names her task and session as she gave them.
        Assert.Contains(started.SelectMany(b => b.Events), e => e.TaskId == "running" && e.Session == session);

        var bobs = await cluster.Bob.CancelAsync(new CancelRequest { Session = session, TaskIds = { "queued", "running" }, Interrupt = true }).ResponseAsync.WithTimeout();

        Assert.Equal([false, false], bobs.Cancelled);
        Assert.Equal([false, false], bobs.Interrupted);
        var done = await ReadUntilAsync(alices, b => b.Completions.Any(c => c.TaskId == "running"));
        Assert.Equal("1.5", done.SelectMany(b => b.Completions).Single(c => c.TaskId == "running").Result.ToStringUtf8());
        var hers = await cluster.Alice.CancelAsync(new CancelRequest { Session = session, TaskIds = { "queued" } }).ResponseAsync.WithTimeout();
        Assert.True(Assert.Single(hers.Cancelled));
    }

    [SkippableFact]
    public async Task AnIdempotencyKey_BelongsToItsIdentity_AndAlreadyExistsNamesOnlyTheCallersTask()
    {
        cluster.Require();
        var key = "key-" + Guid.NewGuid().ToString("N")[..12];
        var (alices, bobs) = (NewSession(), NewSession());
        Assert.Empty((await SubmitAsync(cluster.Alice, alices, Keyed("a.1", key))).Rejected);

        // Bob's use of the same key is his own: his first task is taken, his second refused with his own id.
        Assert.Empty((await SubmitAsync(cluster.Bob, bobs, Keyed("b.1", key))).Rejected);
        var second = Assert.Single((await SubmitAsync(cluster.Bob, bobs, Keyed("b.2", key))).Rejected);

        Assert.Equal((nameof(StatusCode.AlreadyExists), "b.2", "b.1"), (second.Code, second.TaskId, second.ExistingTaskId));
        Assert.DoesNotContain("a.1", second.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("|", second.Message, StringComparison.Ordinal);
        var hers = Assert.Single((await SubmitAsync(cluster.Alice, alices, Keyed("a.2", key))).Rejected);
        Assert.Equal("a.1", hers.ExistingTaskId);
    }

    [SkippableFact]
    public async Task ATaskIdOfAnotherIdentity_MakesATaskOfTheCallersOwn_AndLeavesHersAlone()
    {
        cluster.Require();
        var session = NewSession();
        var hers = new TaskSpec { Id = "shared", Name = "nobody_" + Guid.NewGuid().ToString("N")[..12], Args = ByteString.CopyFromUtf8("[]") };
        Assert.Empty((await SubmitAsync(cluster.Alice, session, hers)).Rejected);

        using var bobs = cluster.Bob.Completions(new CompletionsRequest { Session = session });
        Assert.Empty((await SubmitAsync(cluster.Bob, session, Echo("shared", "\"bobs\""))).Rejected);

        var read = await ReadUntilAsync(bobs, b => b.Completions.Any(c => c.TaskId == "shared"));
        Assert.Equal("\"bobs\"", read.SelectMany(b => b.Completions).Single().Result.ToStringUtf8());
        // Hers is still queued, untouched: she can cancel it.
        var cancel = await cluster.Alice.CancelAsync(new CancelRequest { Session = session, TaskIds = { "shared" } }).ResponseAsync.WithTimeout();
        Assert.True(Assert.Single(cancel.Cancelled));
    }

    [SkippableFact]
    public async Task TheSdk_WithAToken_ResolvesItsFutures_UnderTheIdsItGave()
    {
        cluster.Require();
        await using var alice = cluster.NewExecutor(cluster.AliceToken);
        await using var bob = cluster.NewExecutor(cluster.BobToken);

        var hers = Enumerable.Range(0, 50).Select(i => alice.Submit<long>("add", i, 1)).ToList();
        var his = Enumerable.Range(0, 50).Select(i => bob.Submit<long>("add", i, 2)).ToList();

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), await Task.WhenAll(hers.Select(f => f.AsTask())).WithTimeout());
        Assert.Equal(Enumerable.Range(2, 50).Select(i => (long)i), await Task.WhenAll(his.Select(f => f.AsTask())).WithTimeout());
        Assert.All(hers, f => Assert.DoesNotContain(alice.SessionId, f.Id, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Attach_ToAnotherIdentitysTask_FindsNoSuchTask_WhileItsOwnIdentityAttaches()
    {
        cluster.Require();
        await using var alice = cluster.NewExecutor(cluster.AliceToken);
        await using var alicesOther = cluster.NewExecutor(cluster.AliceToken);
        await using var bob = cluster.NewExecutor(cluster.BobToken);
        var hers = alice.Submit<string>("echo", "hers");
        Assert.Equal("hers", await hers.AsTask().WithTimeout());

        var his = bob.Attach<string>(hers.Id);

        var error = await Assert.ThrowsAsync<KeyNotFoundException>(() => his.AsTask().WithTimeout());
        Assert.Contains(hers.Id, error.Message, StringComparison.Ordinal);
        Assert.Equal("hers", await alicesOther.Attach<string>(hers.Id).AsTask().WithTimeout());
        // Nor can he cancel it through an attached future: a task of hers still queued stays queued.
        var queued = alice.Submit<int>("nobody_" + Guid.NewGuid().ToString("N")[..12]);
        await TaskTimeouts.Eventually(async () => (await cluster.Admin.StatusAsync(new StatusRequest())).Queues.Any(q => q.Name == queued.Name && q.Queued > 0), "her task is queued");
        Assert.False(await bob.Attach<int>(queued.Id).CancelAsync().WithTimeout());
        Assert.False(queued.Done);
        Assert.True(await queued.CancelAsync().WithTimeout());
    }

    private static TaskSpec Echo(string id, string json) =>
        new() { Id = id, Name = "echo", Args = ByteString.CopyFrom(Encoding.UTF8.GetBytes("[" + json + "]")) };

    private static TaskSpec Keyed(string id, string key)
    {
        var spec = Echo(id, "1");
        spec.IdempotencyKey = key;
        return spec;
    }


}

public sealed class EmbeddedStoreOwnershipTests(OwnershipEmbeddedTokensCluster cluster)
    : OwnershipTests<OwnershipEmbeddedTokensCluster>(cluster), IClassFixture<OwnershipEmbeddedTokensCluster>;

public sealed class RedisServerOwnershipTests(OwnershipRedisTokensCluster cluster)
    : OwnershipTests<OwnershipRedisTokensCluster>(cluster), IClassFixture<OwnershipRedisTokensCluster>;
