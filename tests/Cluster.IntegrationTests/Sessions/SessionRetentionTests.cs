using Cluster.Client;
using Cluster.IntegrationTests.Futures;
using Cluster.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace Cluster.IntegrationTests.Sessions;

/// <summary>
/// A session outlives the retention of its completions: a client idle past it (its sequence
/// counter expired in the store) gets its later results; and the coordinator holds results to
/// <c>--max-result</c>. Runs on the embedded store and on a real redis-server, each with a 2 s retention.
/// </summary>
public abstract class SessionRetentionTests<TFixture>(TFixture cluster) where TFixture : ClusterFixture
{
    [SkippableFact]
    public async Task AnExecutorIdlePastTheRetention_GetsTheResultsOfItsLaterTasks()
    {
        cluster.Require();
        // The scope's end is bounded too: a future left pending fails the test instead of hanging it.
        await using var scope = new FutureScope(cluster);
        var executor = scope.Executor;
        var first = Enumerable.Range(0, 3).Select(i => executor.Submit<string>("echo", $"before-{i}")).ToList();
        Assert.Equal(["before-0", "before-1", "before-2"], await Task.WhenAll(first.Select(f => f.AsTask())).WithTimeout());

        // Idle until the store has forgotten the session's sequence counter.
        await SequenceExpiredAsync(executor.SessionId, DateTime.UtcNow);

        var later = Enumerable.Range(0, 3).Select(i => executor.Submit<string>("echo", $"after-{i}")).ToList();
        Assert.Equal(["after-0", "after-1", "after-2"], await Task.WhenAll(later.Select(f => f.AsTask())).WithTimeout(TimeSpan.FromSeconds(30)));
    }

    [SkippableFact]
    public async Task AResultOverTheLimit_FailsItsTask_WithAnErrorThatSaysSo()
    {
        cluster.Require();
        // The scope's end is bounded too: a future left pending fails the test instead of hanging it.
        await using var scope = new FutureScope(cluster);
        var executor = scope.Executor;
        var text = new string('x', ShortRetentionCluster.MaxResultBytes + 10);

        var future = executor.Submit<string>("echo", text);
        var small = executor.Submit<string>("echo", "small");

        var error = await Assert.ThrowsAsync<RemoteTaskException>(() => future.AsTask().WithTimeout());
        Assert.Equal("Cluster.ResultTooLarge", error.RemoteType);
        // echo returns its argument as a JSON string: the text and its two quotes.
        Assert.Contains($"is {text.Length + 2} bytes; the limit is {ShortRetentionCluster.MaxResultBytes}", error.RemoteMessage, StringComparison.Ordinal);
        Assert.Equal("small", await small.AsTask().WithTimeout());
    }

    [SkippableFact]
    public async Task AnErrorWithAHugeMessage_IsCutToItsBound_SoItsCompletionFitsAMessage()
    {
        cluster.Require();
        await using var scope = new FutureScope(cluster);

        var future = scope.Executor.Submit<int>("fail", new string('m', 1_000_000));

        var error = await Assert.ThrowsAsync<RemoteTaskException>(() => future.AsTask().WithTimeout());
        Assert.InRange(error.RemoteMessage.Length, 1, 10_000);
        Assert.EndsWith("(cut)", error.RemoteMessage, StringComparison.Ordinal);
    }

    /// <summary>
    /// Waits until the session's sequence counter is gone from the store: on redis-server, by
    /// looking; the embedded store is not reachable from a test, so there by the store's expiry
    /// rule — the counter lives one retention after its last completion, which came before <paramref name="lastCompletion"/>.
    /// </summary>
    private async Task SequenceExpiredAsync(string session, DateTime lastCompletion)
    {
        if (cluster.RedisAddress is { } address)
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(address);
            var key = "{cluster}:os:" + session;
            await TaskTimeouts.Eventually(async () => !await redis.GetDatabase().KeyExistsAsync(key), $"{key} expired", TimeSpan.FromSeconds(30));
        }
        else
        {
            var expired = lastCompletion + ShortRetentionCluster.Retention + TimeSpan.FromMilliseconds(500);
            await TaskTimeouts.Eventually(() => Task.FromResult(DateTime.UtcNow > expired), "the retention has passed since the last completion", TimeSpan.FromSeconds(30));
        }
    }
}

public sealed class EmbeddedStoreSessionRetentionTests(EmbeddedShortRetentionCluster cluster)
    : SessionRetentionTests<EmbeddedShortRetentionCluster>(cluster), IClassFixture<EmbeddedShortRetentionCluster>;

public sealed class RedisServerSessionRetentionTests(RedisShortRetentionCluster cluster)
    : SessionRetentionTests<RedisShortRetentionCluster>(cluster), IClassFixture<RedisShortRetentionCluster>;
