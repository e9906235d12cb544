namespace Cluster.IntegrationTests.Security;

/// <summary>
/// A real redis-server that requires a login: an ACL user with a password (and another password for
/// the default user), reached with `--redis host:port,user=...,password=...`; `--max-batch 50`.
/// </summary>
public sealed class SecretsRedisCluster : SecretsCluster
{
    public SecretsRedisCluster()
        : base(redis: true)
    {
        RedisArguments = ["--user", User, "on", ">" + Password, "~*", "&*", "+@all", "--requirepass", "pw" + Guid.NewGuid().ToString("N")];
        RedisConfigurationSuffix = $",user={User},password={Password}";
    }

    /// <summary>The ACL user the coordinator logs in as, different in each test run.</summary>
    public static string User { get; } = "user" + Guid.NewGuid().ToString("N");

    /// <summary>Its password, different in each test run.</summary>
    public static string Password { get; } = "pw" + Guid.NewGuid().ToString("N");

    /// <summary>A StackExchange.Redis configuration that logs in as the coordinator does, with admin commands allowed.</summary>
    public string AdminConfiguration => $"{RedisAddress},user={User},password={Password},allowAdmin=true";
}
