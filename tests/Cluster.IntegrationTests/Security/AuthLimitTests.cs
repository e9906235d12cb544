using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Grpc.Core;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// Per-identity limits of one coordinator (--max-streams 3, --max-sessions 2): past one, a stream
/// is refused with ResourceExhausted naming the limit and its option; a stream that ends gives
/// its place back.
/// </summary>
public sealed class AuthLimitTests(AuthLimitedCluster cluster) : IClassFixture<AuthLimitedCluster>
{
    [Fact]
    public async Task WorkerStreams_PastTheLimit_AreResourceExhausted_NamingMaxStreams()
    {
        var open = new List<AsyncDuplexStreamingCall<WorkerMessage, CoordinatorMessage>>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                open.Add(cluster.WorkersFor(cluster.WorkerToken).Connect());
                Assert.NotNull((await AuthCalls.SayHelloAsync(open[^1], Hello()).WithTimeout()).Welcome);
            }
            await AssertRefusedThenFreedAsync(open);
        }
        finally
        {
            open.ForEach(call => call.Dispose());
        }
    }

    private async Task AssertRefusedThenFreedAsync(List<AsyncDuplexStreamingCall<WorkerMessage, CoordinatorMessage>> open)
    {
        var refused = await AuthCalls.RefusedAsync(() => AuthCalls.ConnectAsync(cluster, cluster.WorkerToken, Hello()));

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Equal("identity 'host1' holds 3 streams on this coordinator; the limit is 3 (--max-streams).", refused.Status.Detail);

        // Another identity has streams of its own.
        Assert.NotNull((await AuthCalls.ConnectAsync(cluster, cluster.EchoerToken, AuthCalls.Hello("auth-limit-" + Guid.NewGuid().ToString("N")[..8], "echo")).WithTimeout()).Welcome);

        // A stream that ends gives its place back.
        open[0].Dispose();
        await TaskTimeouts.Eventually(async () =>
        {
            try
            {
                await AuthCalls.ConnectAsync(cluster, cluster.WorkerToken, Hello()).WithTimeout();
                return true;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
            {
                return false;
            }
        }, "a stream is free again");
    }

    [Fact]
    public async Task CompletionStreams_OfMoreSessionsThanTheLimit_AreResourceExhausted_NamingMaxSessions()
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        var tasks = cluster.TasksFor(cluster.ClientToken);
        using var first = tasks.Completions(new CompletionsRequest { Session = "a" + marker });
        using var second = tasks.Completions(new CompletionsRequest { Session = "b" + marker });
        // Each stream is open on the coordinator once it has delivered a completion of its session.
        foreach (var (call, session) in new[] { (first, "a" + marker), (second, "b" + marker) })
        {
            var submitted = await tasks.SubmitAsync(new SubmitRequest
            {
                Session = session,
                Tasks = { new TaskSpec { Id = session + ".1", Name = "add", Args = Google.Protobuf.ByteString.CopyFromUtf8("[1,2]") } },
            }).ResponseAsync.WithTimeout();
            Assert.Empty(submitted.Rejected);
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WithTimeout());
        }

        var refused = await AuthCalls.RefusedAsync(async () =>
        {
            using var third = tasks.Completions(new CompletionsRequest { Session = "c" + marker }, deadline: DateTime.UtcNow.AddSeconds(30));
            await third.ResponseStream.MoveNext(CancellationToken.None);
        });

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Equal("identity 'app' streams the completions of 2 sessions on this coordinator; the limit is 2 (--max-sessions).", refused.Status.Detail);
    }

    [Fact]
    public async Task SubmitStreams_CountApartFromOtherStreams_AndPastTheLimit_TheSdkSubmitsACallPerBatch()
    {
        // An identity of its own: the executor's completion stream holds a session of it for a moment after the test.
        var token = ClusterFixture.NewToken();
        var open = new List<AsyncDuplexStreamingCall<SubmitRequest, SubmitReply>>();
        var session = "limit-s" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            await cluster.WriteGrantsAsync(cluster.BaseGrants + $"\nclient limits {token}\n");
            await TaskTimeouts.Eventually(() => AuthCalls.AcceptedAsync(cluster, token, session), "the added token is accepted");
            for (var i = 0; i < 3; i++)
            {
                open.Add(cluster.TasksFor(token).SubmitStream());
                Assert.Empty((await AuthCalls.SubmitOnAsync(open[^1], AuthCalls.OneTask(session)).WithTimeout()).Rejected);
            }
            var refused = await AuthCalls.RefusedAsync(() => AuthCalls.SubmitOnStreamAsync(cluster, token, AuthCalls.OneTask(session)));
            Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
            Assert.Equal("identity 'limits' holds 3 submit streams on this coordinator; the limit is 3 (--max-streams).", refused.Status.Detail);

            // The executor's completion stream is not counted with them; its submit stream is refused, so it submits by calls.
            var log = new Futures.LogCollector();
            await using (var executor = new ClusterExecutor(cluster.Address.ToString(), new ClusterExecutorOptions { Token = token, LoggerFactory = log }))
            {
                var sums = Enumerable.Range(0, 20).Select(i => executor.Submit<long>("add", i, 1000).AsTask()).ToList();

                Assert.Equal(Enumerable.Range(1000, 20).Select(i => (long)i), await Task.WhenAll(sums).WithTimeout());
            }
            Assert.Contains(log.Entries, e => e.Id.Id == 408 && e.Message.Contains("refused a submit stream", StringComparison.Ordinal));
        }
        finally
        {
            open.ForEach(call => call.Dispose());
            await cluster.WriteGrantsAsync(cluster.BaseGrants);
        }
    }

    private static WorkerMessage Hello() => AuthCalls.Hello("auth-limit-" + Guid.NewGuid().ToString("N")[..8], "auth_limit_nobody");
}
