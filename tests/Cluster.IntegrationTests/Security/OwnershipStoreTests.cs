using System.Text;
using Cluster.Coordinator;
using Cluster.Coordinator.Internal.Store;
using Cluster.IntegrationTests.Administration;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// A session and task ids scoped by an identity ("name|value", with the header's own separator in
/// it) on the real stores: every script that reads a task's header takes them as it takes any
/// other. One store per class; a key prefix per test.
/// </summary>
public abstract class OwnershipStoreTests<TFixture>(TFixture fixture) where TFixture : StoreFixture
{
    private readonly IConnectionMultiplexer? _redis = fixture.Missing is null ? fixture.Redis : null;

    private const string Session = "alice|s.1";

    [SkippableFact]
    public async Task AScopedSession_IsLeasedCompletedAndCancelled_AsAnyOther()
    {
        Requirements.Require(fixture.Missing);
        var store = NewStore();
        await store.RegisterAsync("w", "w", Hello("w"));
        await store.SubmitAsync(Session, [Spec("alice|t.1"), Spec("alice|t.2"), Spec("alice|t.3")]);

        var leased = (await store.LeaseAsync("w", "w", ["echo"], 2, 0)).Tasks;
        Assert.Equal(["alice|t.1", "alice|t.2"], leased.Select(a => a.TaskId));
        Assert.All(leased, a => Assert.Equal(Session, a.Session));
        var result = new TaskResult { TaskId = "alice|t.1", Session = Session, Attempt = leased[0].Attempt, Value = ByteString.CopyFromUtf8("1") };
        Assert.Equal(1, (await store.CompleteAsync("w", [result])).Accepted);
        var (cancelled, _) = await store.CancelAsync(Session, ["alice|t.3"], interrupt: false);
        Assert.True(Assert.Single(cancelled));

        var completions = await store.ReadCompletionsAsync(Session, 0, 10);
        Assert.Equal(["alice|t.1", "alice|t.3"], completions.Select(c => c.TaskId));
        // The worker vanishes: its other lease goes back to its queue, and runs again.
        var (requeued, _) = await store.RequeueAsync("w", gone: true);
        Assert.Equal(1, requeued);
        await store.RegisterAsync("w2", "w2", Hello("w2"));
        Assert.Equal(("alice|t.2", Session), (await store.LeaseAsync("w2", "w2", ["echo"], 5, 0)).Tasks.Select(a => (a.TaskId, a.Session)).Single());
    }

    private TaskStore NewStore() =>
        new(_redis!, new Keys("o" + Guid.NewGuid().ToString("N")[..8]), new CoordinatorOptions());

    private static TaskSpec Spec(string id) =>
        new() { Id = id, Name = "echo", Args = ByteString.CopyFrom(Encoding.UTF8.GetBytes("[1]")) };

    private static Hello Hello(string worker) =>
        new() { WorkerId = worker, Host = "test", ProcessId = 1, Handlers = { new HandlerInfo { Name = "echo", Kind = ExecutionKind.ThreadPool } } };
}

public sealed class EmbeddedStoreOwnershipStoreTests(EmbeddedStoreFixture fixture) : OwnershipStoreTests<EmbeddedStoreFixture>(fixture), IClassFixture<EmbeddedStoreFixture>;

public sealed class RedisServerOwnershipStoreTests(RedisStoreFixture fixture) : OwnershipStoreTests<RedisStoreFixture>(fixture), IClassFixture<RedisStoreFixture>;
