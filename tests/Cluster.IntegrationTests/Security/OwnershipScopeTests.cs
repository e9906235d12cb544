using Cluster.Coordinator.Internal.Security;
using Cluster.Coordinator.Internal.Store;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// The scope that keeps each identity's sessions, task ids and idempotency keys apart in the store,
/// and the task header that holds a scoped session. No server needed.
/// </summary>
public sealed class OwnershipScopeTests
{
    [Fact]
    public void TheAnonymousScope_PassesValuesThroughUnchanged_WithoutACopy()
    {
        var scope = new Scope(string.Empty);
        var value = "session-1";

        Assert.False(scope.IsScoped);
        Assert.Same(value, scope.In(value));
        Assert.Same(value, scope.Out(value));
    }

    [Fact]
    public void AnIdentitysScope_PrefixesItsName_AndTakesItOffAgain()
    {
        var alice = new Scope("alice");

        Assert.True(alice.IsScoped);
        Assert.Equal("alice|s.1", alice.In("s.1"));
        Assert.Equal("s.1", alice.Out(alice.In("s.1")));
        // Two identities naming the same value reach different ones.
        Assert.NotEqual(alice.In("s.1"), new Scope("bob").In("s.1"));
    }

    [Fact]
    public void OutOfAScope_NeverShowsAnotherIdentitysName()
    {
        // What precedes the first separator is a scope, whoever's it is.
        Assert.Equal("t.1", new Scope("bob").Out("alice|t.1"));
        Assert.Equal("t.1", new Scope("bob").Out("t.1"));
    }

    [Fact]
    public void AHeaderWithAScopedSession_ParsesWithTheWholeSession()
    {
        var header = Header.Parse("l|2|alice|s.1|echo|host-1-w|1|0");

        Assert.Equal(new Header('l', 2, "alice|s.1", "echo", "host-1-w", 1, 0), header);
        Assert.Equal(new Header('q', 0, "s.1", "echo", string.Empty, 0, 0), Header.Parse("q|0|s.1|echo||0|0"));
        Assert.Null(Header.Parse("q|0|echo||0|0"));
    }
}
