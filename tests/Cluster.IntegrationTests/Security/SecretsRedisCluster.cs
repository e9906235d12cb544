namespace Cluster.IntegrationTests.Security;

/// <summary>A real redis-server that requires a password (`--requirepass`), reached with `--redis host:port,password=...`; `--max-batch 50`.</summary>
public sealed class SecretsRedisCluster : SecretsCluster
{
    public SecretsRedisCluster()
        : base(redis: true)
    {
        RedisArguments = ["--requirepass", Password];
        RedisConfigurationSuffix = ",password=" + Password;
    }

    /// <summary>The redis-server's password, different in each test run.</summary>
    public static string Password { get; } = "pw" + Guid.NewGuid().ToString("N");
}
