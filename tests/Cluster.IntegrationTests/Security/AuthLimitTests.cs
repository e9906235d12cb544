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
        using var first = cluster.TasksFor(cluster.ClientToken).Completions(new CompletionsRequest { Session = "a" + marker });
        using var second = cluster.TasksFor(cluster.ClientToken).Completions(new CompletionsRequest { Session = "b" + marker });
        var held = Task.WhenAll(first.ResponseStream.MoveNext(CancellationToken.None), second.ResponseStream.MoveNext(CancellationToken.None));

        // The two streams above are counted once the coordinator has them: until then a third session
        // is taken (and ends at its deadline, giving its place back).
        RpcException? refused = null;
        await TaskTimeouts.Eventually(async () =>
        {
            try
            {
                using var third = cluster.TasksFor(cluster.ClientToken).Completions(new CompletionsRequest { Session = "c" + marker }, deadline: DateTime.UtcNow.AddSeconds(1));
                await third.ResponseStream.MoveNext(CancellationToken.None).WithTimeout();
                return false;
            }
            catch (RpcException e) when (e.Status.Detail.Contains("--max-sessions", StringComparison.Ordinal))
            {
                refused = e;
                return true;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted)
            {
                // Taken (and timed out), or refused while a timed-out one was still open.
                return false;
            }
        }, "a third session is refused");

        Assert.Equal(StatusCode.ResourceExhausted, refused!.StatusCode);
        Assert.Equal("identity 'app' streams the completions of 2 sessions on this coordinator; the limit is 2 (--max-sessions).", refused.Status.Detail);
        Assert.False(held.IsCompleted);
    }

    private static WorkerMessage Hello() => AuthCalls.Hello("auth-limit-" + Guid.NewGuid().ToString("N")[..8], "auth_limit_nobody");
}
