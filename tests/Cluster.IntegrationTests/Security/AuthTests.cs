using System.Text.RegularExpressions;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Cluster.Testing;
using Grpc.Core;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// Identities and roles on a coordinator with a tokens file: who may call what, what a refusal
/// says (never the token), worker identities limited to task names, and tokens rotated by
/// rewriting the file, with no restart.
/// </summary>
public sealed class AuthTests(EmbeddedAuthCluster cluster) : IClassFixture<EmbeddedAuthCluster>
{
    public static TheoryData<string> Rpcs => [.. AuthCalls.All.Keys];

    [Theory]
    [MemberData(nameof(Rpcs))]
    public async Task EveryRpc_IsUnauthenticated_WithoutAToken(string rpc)
    {
        var refused = await AuthCalls.RefusedAsync(() => AuthCalls.All[rpc](cluster, null));

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains("no bearer token", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains(rpc, refused.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Rpcs))]
    public async Task EveryRpc_IsUnauthenticated_WithAnUnknownToken(string rpc)
    {
        var unknown = ClusterFixture.NewToken();

        var refused = await AuthCalls.RefusedAsync(() => AuthCalls.All[rpc](cluster, unknown));

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains("unknown token", refused.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(unknown, refused.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/cluster.v1.Admin/Status", "admin")]
    [InlineData("/cluster.v1.Admin/DeadLetters", "admin")]
    [InlineData("/cluster.v1.Workers/Connect", "worker")]
    public async Task ClientToken_IsPermissionDenied_OnAdminAndWorkers_NamingTheRole(string rpc, string role)
    {
        var refused = await AuthCalls.RefusedAsync(() => AuthCalls.All[rpc](cluster, cluster.ClientToken));

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Equal($"identity 'app' lacks the '{role}' role needed by {rpc}.", refused.Status.Detail);
    }

    [Fact]
    public async Task WorkerToken_IsPermissionDenied_OnSubmit_NamingTheClientRole()
    {
        var refused = await AuthCalls.RefusedAsync(() => AuthCalls.All[AuthCalls.Submit](cluster, cluster.WorkerToken));

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Equal($"identity 'host1' lacks the 'client' role needed by {AuthCalls.Submit}.", refused.Status.Detail);
        Assert.DoesNotContain(cluster.WorkerToken, refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schedules_AreTheIdentitysOwn_AndNeedTheClientRole()
    {
        var id = "auth-scope-" + Guid.NewGuid().ToString("N")[..8];
        var app = new Schedules.SchedulesClient(cluster.ChannelFor(cluster.ClientToken));
        var other = new Schedules.SchedulesClient(cluster.ChannelFor(cluster.FixtureToken));

        var added = (await app.AddOrUpdateAsync(new ScheduleAddOrUpdateRequest { Id = id, Cron = "0 3 * * *", Task = "add", Args = Google.Protobuf.ByteString.CopyFromUtf8("[1,2]") })).Schedule;

        Assert.Equal(id, added.Id);
        Assert.Contains((await app.ListAsync(new ScheduleListRequest())).Schedules, s => s.Id == id);
        Assert.DoesNotContain((await other.ListAsync(new ScheduleListRequest())).Schedules, s => s.Id == id || s.Id.Contains('|', StringComparison.Ordinal));
        Assert.False((await other.RemoveAsync(new ScheduleRemoveRequest { Id = id })).Removed);
        var refused = await AuthCalls.RefusedAsync(() => AuthCalls.All["/cluster.v1.Schedules/List"](cluster, cluster.WorkerToken));
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.True((await app.RemoveAsync(new ScheduleRemoveRequest { Id = id })).Removed);
    }

    [Fact]
    public async Task EachRole_ReachesItsOwnService()
    {
        Assert.Empty((await cluster.TasksFor(cluster.ClientToken).SubmitAsync(AuthCalls.OneTask("auth-ok-" + Guid.NewGuid().ToString("N")[..8]))).Rejected);
        Assert.NotNull((await AuthCalls.ConnectAsync(cluster, cluster.WorkerToken, AuthCalls.Hello("auth-ok-" + Guid.NewGuid().ToString("N")[..8], "auth_nobody"))).Welcome);
        Assert.NotEmpty((await cluster.AdminFor(cluster.AdminToken).StatusAsync(new StatusRequest())).Workers);
    }

    [Fact]
    public async Task GarbageFromAnUnauthenticatedCaller_IsUnauthenticated_NotParsed()
    {
        var raw = new Method<byte[], byte[]>(MethodType.Unary, "cluster.v1.Tasks", "Submit", Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
        var garbage = new byte[4096];
        new Random(7).NextBytes(garbage);

        var refused = await AuthCalls.RefusedAsync(async () => await cluster.ChannelFor(null).CreateCallInvoker().AsyncUnaryCall(raw, null, default, garbage));

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }

    [Fact]
    public async Task WorkerLimitedByNames_IsPermissionDenied_ForAnotherName_NamingItsNames()
    {
        var refused = await AuthCalls.RefusedAsync(() => AuthCalls.ConnectAsync(cluster, cluster.EchoerToken, AuthCalls.Hello("auth-names-" + Guid.NewGuid().ToString("N")[..8], "echo", "sleep")));

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Equal("identity 'echoer' may serve only the task names add, echo; this hello declares sleep.", refused.Status.Detail);
    }

    [Fact]
    public async Task WorkerLimitedByNames_ServesTheUnionOfItsLines_WithEitherToken()
    {
        foreach (var token in new[] { cluster.EchoerToken, cluster.EchoerSecondToken })
        {
            var reply = await AuthCalls.ConnectAsync(cluster, token, AuthCalls.Hello("auth-names-" + Guid.NewGuid().ToString("N")[..8], "echo", "add")).WithTimeout();

            Assert.NotNull(reply.Welcome);
        }
    }

    [Fact]
    public async Task RewritingTheTokensFile_RotatesATokenWithoutRestart_AndABadRewriteKeepsTheLastGoodGrants()
    {
        var first = ClusterFixture.NewToken();
        var second = ClusterFixture.NewToken();
        var session = "auth-rotate-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            await cluster.WriteGrantsAsync(cluster.BaseGrants + $"\nclient rotating {first}\n");
            await TaskTimeouts.Eventually(() => AuthCalls.AcceptedAsync(cluster, first, session), "the added token is accepted");

            await cluster.WriteGrantsAsync(cluster.BaseGrants + $"\nclient rotating {second}\n");
            await TaskTimeouts.Eventually(async () => await AuthCalls.AcceptedAsync(cluster, second, session) && !await AuthCalls.AcceptedAsync(cluster, first, session), "the new token works and the removed one fails");
            var removed = await AuthCalls.RefusedAsync(async () => await cluster.TasksFor(first).AckAsync(new AckRequest { Session = session }));
            Assert.Equal(StatusCode.Unauthenticated, removed.StatusCode);

            // A rewrite with a bad line (too few fields) is refused with a warning naming its line; the grants stay.
            var broken = ClusterFixture.NewToken();
            await cluster.WriteGrantsAsync(cluster.BaseGrants + $"\nclient rotating {second}\nclient {broken}\n");
            var warning = await cluster.WaitForOutputAsync(@"cannot be used \(line (\d+)\)", TimeSpan.FromSeconds(30));
            Assert.Equal("10", warning.Groups[1].Value);
            Assert.True(await AuthCalls.AcceptedAsync(cluster, second, session));
            Assert.DoesNotContain(broken, cluster.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(second, cluster.Output, StringComparison.Ordinal);
        }
        finally
        {
            await cluster.WriteGrantsAsync(cluster.BaseGrants);
        }
    }

    [Fact]
    public async Task ASubmitStream_WhoseTokenIsRemovedFromTheTokensFile_SubmitsNothingMore_AndEndsUnauthenticated()
    {
        var token = ClusterFixture.NewToken();
        var session = "auth-stream-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            await cluster.WriteGrantsAsync(cluster.BaseGrants + $"\nclient streaming {token}\n");
            await TaskTimeouts.Eventually(() => AuthCalls.AcceptedAsync(cluster, token, session), "the added token is accepted");
            using var stream = cluster.TasksFor(token).SubmitStream();
            Assert.Empty((await AuthCalls.SubmitOnAsync(stream, AuthCalls.OneTask(session)).WithTimeout()).Rejected);

            await cluster.WriteGrantsAsync(cluster.BaseGrants);
            RpcException? ended = null;
            await TaskTimeouts.Eventually(async () =>
            {
                try
                {
                    await AuthCalls.SubmitOnAsync(stream, AuthCalls.OneTask(session)).WithTimeout();
                    return false;
                }
                catch (RpcException e)
                {
                    ended = e;
                    return true;
                }
            }, "the stream of the removed token ends");

            Assert.Equal(StatusCode.Unauthenticated, ended!.StatusCode);
            Assert.Contains("unknown token", ended.Status.Detail, StringComparison.Ordinal);
            Assert.Contains(AuthCalls.SubmitStream, ended.Status.Detail, StringComparison.Ordinal);
            Assert.DoesNotContain(token, ended.Status.Detail, StringComparison.Ordinal);
        }
        finally
        {
            await cluster.WriteGrantsAsync(cluster.BaseGrants);
        }
    }

    [Fact]
    public async Task WorkerDaemon_GivesItsProcessesTheToken_InTheEnvironment_NotOnTheCommandLine()
    {
        var tokenFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokenFile, $"  {cluster.WorkerToken}\n");
        try
        {
            await using var daemon = ChildProcess.StartCluster("worker", "--coordinator", cluster.Address.ToString(), "--processes", "1", "--token-file", tokenFile);

            await TaskTimeouts.Eventually(async () =>
            {
                var connected = (await cluster.Admin.StatusAsync(new StatusRequest())).Workers.Select(w => w.ProcessId);
                return ChildrenOf(daemon.Id).Intersect(connected).Any();
            }, "the daemon's worker process is connected");
            var child = Assert.Single(ChildrenOf(daemon.Id));
            Assert.DoesNotContain(cluster.WorkerToken, await File.ReadAllTextAsync($"/proc/{child}/cmdline"), StringComparison.Ordinal);
            Assert.Contains("CLUSTER_TOKEN=" + cluster.WorkerToken + "\0", await File.ReadAllTextAsync($"/proc/{child}/environ"), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }

    [Fact]
    public async Task StatusCommand_TakesTheTokenFlag_OverTheEnvironment()
    {
        var address = cluster.Address.ToString();
        var adminEnvironment = new Dictionary<string, string> { ["CLUSTER_TOKEN"] = cluster.AdminToken };
        var clientEnvironment = new Dictionary<string, string> { ["CLUSTER_TOKEN"] = cluster.ClientToken };

        await using (var fromEnvironment = ChildProcess.StartCluster(adminEnvironment, "status", "--coordinator", address))
        {
            Assert.Equal(0, await fromEnvironment.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Matches(new Regex(@"^\d+ worker processes$", RegexOptions.Multiline), fromEnvironment.Output);
        }
        await using (var flagWins = ChildProcess.StartCluster(clientEnvironment, "status", "--coordinator", address, "--token", cluster.AdminToken))
        {
            Assert.Equal(0, await flagWins.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }
        await using (var wrongFlag = ChildProcess.StartCluster(adminEnvironment, "status", "--coordinator", address, "--token", cluster.ClientToken))
        {
            Assert.Equal(1, await wrongFlag.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("identity 'app' lacks the 'admin' role needed by /cluster.v1.Admin/Status", wrongFlag.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(cluster.ClientToken, wrongFlag.Output, StringComparison.Ordinal);
        }
        await using (var none = ChildProcess.StartCluster("status", "--coordinator", address))
        {
            Assert.Equal(1, await none.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("no bearer token", none.Output, StringComparison.Ordinal);
        }
    }

    private static List<int> ChildrenOf(int pid) =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => name!.All(char.IsAsciiDigit))
            .Select(int.Parse!)
            .Where(child => ParentOf(child) == pid)];

    private static int ParentOf(int pid)
    {
        try
        {
            // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after its ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }
}
