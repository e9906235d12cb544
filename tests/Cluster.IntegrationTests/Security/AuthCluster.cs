using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// `cluster up --tokens FILE` with one worker process (which gets its worker token from `up`, in
/// memory): a client "app", a worker "host1" for every name, a worker "echoer" limited to echo and
/// add (two lines whose names= unite) and an admin "ops".
/// </summary>
public abstract class AuthCluster : ClusterFixture
{
    protected AuthCluster(bool redis, params string[] extraArguments)
        : base(processes: 1, redis, extraArguments) => Grants = BaseGrants;

    public string ClientToken { get; } = NewToken();

    public string WorkerToken { get; } = NewToken();

    /// <summary>A worker limited to echo (this token) and add (<see cref="EchoerSecondToken"/>): one identity, two lines.</summary>
    public string EchoerToken { get; } = NewToken();

    public string EchoerSecondToken { get; } = NewToken();

    public string AdminToken { get; } = NewToken();

    /// <summary>The lines the fixture started with (besides its own).</summary>
    public string BaseGrants => $"""
        client app {ClientToken}

        # a worker for every task name
        worker host1 {WorkerToken}
        worker echoer {EchoerToken} names=echo
        worker echoer {EchoerSecondToken} names=add
        admin ops {AdminToken}
        """;
}
