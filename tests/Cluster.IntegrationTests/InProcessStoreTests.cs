using System.Collections.Concurrent;
using Cluster.Coordinator;
using Cluster.Coordinator.Internal;
using Cluster.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace Cluster.IntegrationTests;

/// <summary>
/// The coordinator's connection to the embedded store (<see cref="StoreConnection"/>), whose requests
/// reach a Garnet session in the process without the loopback socket: what it answers must be what
/// the store answers over the port, whole, in order, and under concurrent callers.
/// </summary>
public sealed class InProcessStoreTests : IAsyncLifetime
{
    private readonly StoreConnection _connection = new(new CoordinatorOptions());

    private IDatabase Db => _connection.Multiplexer.GetDatabase();

    public Task InitializeAsync() => _connection.ConnectAsync();

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    [Fact]
    public async Task TheCoordinatorsRequests_GoThroughASessionInItsProcess_ItsSubscriptions_ThroughThePort()
    {
        // Garnet lists each of its sessions with the address it was reached at; CLIENT is an admin
        // command, asked here over a connection of the test's own through the port.
        var admin = ConfigurationOptions.Parse(_connection.Multiplexer.Configuration);
        admin.AllowAdmin = true;
        admin.ClientName = "test-admin";
        await using var port = await ConnectionMultiplexer.ConnectAsync(admin).WithTimeout();
        var clients = (string?)await port.GetServer(port.GetEndPoints()[0]).ExecuteAsync("CLIENT", "LIST").WithTimeout();

        Assert.NotNull(clients);
        var theCoordinators = clients.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => !line.Contains("name=test-admin", StringComparison.Ordinal)).ToList();
        // None of the coordinator's connections to the port sends requests (flags N); one subscribes (P).
        var subscription = Assert.Single(theCoordinators);
        Assert.Contains("flags=P", subscription, StringComparison.Ordinal);
        // and its requests are answered all the same
        Assert.True(await Db.StringSetAsync("in-process", "yes").WithTimeout());
        Assert.Equal("yes", await Db.StringGetAsync("in-process").WithTimeout());
    }

    [Fact]
    public async Task ARequestAndAnAnswerLargerThanAnyBuffer_ComeThroughWhole()
    {
        // 6 MiB each way: past the session's response buffer and the transport's own.
        var value = new byte[6 << 20];
        new Random(7).NextBytes(value);

        Assert.True(await Db.StringSetAsync("big", value).WithTimeout());
        var back = (byte[]?)await Db.StringGetAsync("big").WithTimeout();

        Assert.Equal(value, back);
        // and the connection goes on
        Assert.Equal(1, await Db.StringIncrementAsync("after-big").WithTimeout());
    }

    [Fact]
    public async Task ManyCallersAtOnce_EachGetsItsOwnAnswer_NoneIsLost()
    {
        const int Callers = 8, Each = 1_000;
        var wrong = new ConcurrentBag<string>();
        var callers = Enumerable.Range(0, Callers).Select(c => Task.Run(async () =>
        {
            var pending = new List<Task>();
            for (var i = 0; i < Each; i++)
            {
                var field = $"{c}:{i}";
                pending.Add(Db.HashSetAsync("fields", field, field));
                pending.Add(Db.StringIncrementAsync("counter"));
                // a script too: every state change of the coordinator is one
                pending.Add(Db.ScriptEvaluateAsync("return redis.call('HGET', KEYS[1], ARGV[1])", ["fields"], [field])
                    .ContinueWith(t => { if ((string?)t.Result != field) { wrong.Add(field); } }, TaskScheduler.Default));
            }
            await Task.WhenAll(pending);
        })).ToArray();

        await Task.WhenAll(callers).WithTimeout();

        Assert.Empty(wrong);
        Assert.Equal(Callers * Each, (long)await Db.StringGetAsync("counter").WithTimeout());
        Assert.Equal(Callers * Each, await Db.HashLengthAsync("fields").WithTimeout());
    }

    [Fact]
    public async Task ATransactionWithConditions_CommitsWhenTheyHold_AndNotWhenTheyDoNot()
    {
        // StackExchange.Redis waits on a monitor for the conditions' answers after it flushes them:
        // an answer delivered before that wait begins must not be missed (the connection multiplexer
        // is in the services of an application that hosts the coordinator, for its own use too).
        await Db.StringSetAsync("gate", "open").WithTimeout();
        var open = Db.CreateTransaction();
        open.AddCondition(Condition.StringEqual("gate", "open"));
        _ = open.StringIncrementAsync("entered");
        Assert.True(await open.ExecuteAsync().WithTimeout());

        await Db.StringSetAsync("gate", "closed").WithTimeout();
        var closed = Db.CreateTransaction();
        closed.AddCondition(Condition.StringEqual("gate", "open"));
        _ = closed.StringIncrementAsync("entered");
        Assert.False(await closed.ExecuteAsync().WithTimeout());

        Assert.Equal(1, (long)await Db.StringGetAsync("entered").WithTimeout());
    }

    [Fact]
    public async Task APublishFromTheInProcessSession_ReachesASubscriberOnThePort()
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var channel = RedisChannel.Literal("in-process-test");
        await _connection.Multiplexer.GetSubscriber().SubscribeAsync(channel, (_, message) => received.TrySetResult(message!)).WithTimeout();

        var receivers = await Db.PublishAsync(channel, "hello").WithTimeout();

        Assert.Equal(1, receivers);
        Assert.Equal("hello", await received.Task.WithTimeout());
    }

    [Fact]
    public async Task AnErrorReply_FailsThatCallAlone()
    {
        await Db.StringSetAsync("text", "not a number").WithTimeout();

        var failed = await Assert.ThrowsAsync<RedisServerException>(() => Db.StringIncrementAsync("text").WithTimeout());

        Assert.Contains("not an integer", failed.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, await Db.StringIncrementAsync("number").WithTimeout());
    }

    [Fact]
    public async Task WithADataDirectory_EachAnswerWaitsForTheLog_AndWhatWasAnsweredIsThereAfterARestart()
    {
        // --data: the append-only log is committed before each answer, on the thread that asked.
        var directory = Directory.CreateTempSubdirectory("cluster-store-test-");
        try
        {
            var options = new CoordinatorOptions { DataDirectory = directory.FullName };
            await using (var first = new StoreConnection(options))
            {
                await first.ConnectAsync().WithTimeout();
                var db = first.Multiplexer.GetDatabase();
                var writes = Enumerable.Range(0, 200).Select(i => db.ScriptEvaluateAsync("redis.call('HSET', KEYS[1], ARGV[1], ARGV[1]); return redis.call('INCR', KEYS[2])", ["kept", "count"], [i]));
                await Task.WhenAll(writes).WithTimeout();
            }
            await using var second = new StoreConnection(options);
            await second.ConnectAsync().WithTimeout();
            var again = second.Multiplexer.GetDatabase();

            Assert.Equal(200, (long)await again.StringGetAsync("count").WithTimeout());
            Assert.Equal(200, await again.HashLengthAsync("kept").WithTimeout());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
