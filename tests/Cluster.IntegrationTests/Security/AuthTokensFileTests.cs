using Cluster.Coordinator;
using Cluster.Coordinator.Internal.Security;
using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Security;

/// <summary>The tokens file parser and the grants it makes, without a server.</summary>
public sealed class AuthTokensFileTests
{
    private static readonly string A = ClusterFixture.NewToken();
    private static readonly string B = ClusterFixture.NewToken();
    private static readonly string C = ClusterFixture.NewToken();

    private static GrantSet Parse(string text, params TokenGrant[] extra) => TokensFile.Parse("/etc/cluster/tokens", text, extra);

    [Fact]
    public void AName_HoldsTheUnionOfItsLinesRoles_AndAnyOfItsTokensAuthenticatesIt()
    {
        var grants = Parse($"# comment\n\nclient app {A}\r\n  admin app {B}\nworker other {C}\n");

        var byA = grants.Authenticate(A)!;
        var byB = grants.Authenticate(B)!;
        Assert.Equal("app", byA.Name);
        Assert.Same(byA, byB);
        Assert.Equal(ClusterRole.Client | ClusterRole.Admin, byA.Roles);
        Assert.Equal(ClusterRole.Worker, grants.Authenticate(C)!.Roles);
        Assert.Null(grants.Authenticate(ClusterFixture.NewToken()));
        Assert.Null(grants.Authenticate(A[..^1]));
        Assert.Equal(2, grants.Identities);
    }

    [Fact]
    public void WorkerNames_OfSeveralLines_Unite_AndALineWithoutNames_MeansEveryName()
    {
        var limited = Parse($"worker w {A} names=echo,add\nworker w {B} names=sleep\n").Authenticate(A)!;
        var unlimited = Parse($"worker w {A} names=echo\nworker w {B}\n").Authenticate(A)!;

        Assert.Equal(["add", "echo", "sleep"], limited.TaskNames!.Order(StringComparer.Ordinal));
        Assert.True(limited.Caller.MayServe("sleep"));
        Assert.False(limited.Caller.MayServe("fail"));
        Assert.Null(unlimited.TaskNames);
    }

    [Fact]
    public void InMemoryGrants_JoinTheFilesGrants()
    {
        var grants = Parse($"client app {A}\n", new TokenGrant(ClusterRole.Worker, "up", B));

        Assert.Equal(ClusterRole.Worker, grants.Authenticate(B)!.Roles);
        Assert.Equal(ClusterRole.Client, grants.Authenticate(A)!.Roles);
    }

    [Theory]
    [InlineData("client app", 1, "expected ROLE NAME TOKEN")]
    [InlineData("root app {0}", 1, "the first field must be a role")]
    [InlineData("client app|x {0}", 1, "the name must be")]
    [InlineData("client app short", 1, "at least 16 characters")]
    [InlineData("client app {0} names=echo", 1, "only a worker line may have a fourth field")]
    [InlineData("worker w {0} nams=echo", 1, "only a worker line may have a fourth field")]
    [InlineData("worker w {0} names=", 1, "names= takes a comma-separated list")]
    [InlineData("# ok\nclient app {0}\nadmin ops {0}", 3, "its token is also the token of identity 'app'")]
    [InlineData("client app {0} {0} {0}", 1, "the line has 5 fields")]
    public void ABadLine_IsAnErrorNamingTheFileAndLine_NeverTheToken(string text, int line, string problem)
    {
        var error = Assert.Throws<TokensFileException>(() => Parse(string.Format(System.Globalization.CultureInfo.InvariantCulture, text, A)));

        Assert.StartsWith($"tokens file '/etc/cluster/tokens' line {line}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(A, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("short", error.Message, StringComparison.Ordinal);
        Assert.Equal(line, error.Line);
    }
}
