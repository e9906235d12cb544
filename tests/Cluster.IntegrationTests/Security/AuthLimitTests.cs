using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Grpc.Core;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// Per-identity limits of one coordinator (--max-streams 2, --max-sessions 2): past one, a stream
/// is refused with ResourceExhausted naming the limit and its option; a stream that ends gives
/// its place back.
/// </summary>
public sealed class AuthLimitTests(AuthLimitedCluster cluster) : IClassFixture<AuthLimitedCluster>
{
    [Fact]
    public async Task WorkerStreams_PastTheLimit_AreResourceExhausted_NamingMaxStreams()
    {
        using var first = cluster.WorkersFor(cluster.WorkerToken).Connect();
        using var second = cluster.WorkersFor(cluster.WorkerToken).Connect();
        Assert.NotNull((await AuthCalls.SayHelloAsync(first, Hello()).WithTimeout()).Welcome);
        Assert.NotNull((await AuthCalls.SayHelloAsync(second, Hello()).WithTimeout()).Welcome);

        var refused = await AuthCalls.RefusedAsync(() => AuthCalls.ConnectAsync(cluster, cluster.WorkerToken, Hello()));

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Equal("identity 'host1' holds 2 streams on this coordinator; the limit is 2 (--max-streams).", refused.Status.Detail);

        // Another identity has streams of its own.
        Assert.NotNull((await AuthCalls.ConnectAsync(cluster, cluster.EchoerToken, AuthCalls.Hello("auth-limit-" + Guid.NewGuid().ToString("N")[..8], "echo")).WithTimeout()).Welcome);

        // A stream that ends gives its place back.
        first.Dispose();
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
            catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded)
            {
                return false;
            }
            catch (RpcException e)
            {
                refused = e;
                return true;
            }
        }, "a third session is refused");

        Assert.Equal(StatusCode.ResourceExhausted, refused!.StatusCode);
        Assert.Equal("identity 'app' streams the completions of 2 sessions on this coordinator; the limit is 2 (--max-sessions).", refused.Status.Detail);
        Assert.False(held.IsCompleted);
    }

    private static WorkerMessage Hello() => AuthCalls.Hello("auth-limit-" + Guid.NewGuid().ToString("N")[..8], "auth_limit_nobody");
}
