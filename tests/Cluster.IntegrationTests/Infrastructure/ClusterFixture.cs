using System.Collections.Concurrent;
using System.Security.Cryptography;
using Cluster.Client;
using Cluster.Contracts;
using Cluster.Protocol.V1;
using Grpc.Net.Client;

namespace Cluster.IntegrationTests.Infrastructure;

/// <summary>
/// A real local cluster for a group of tests: the cluster command's `up` (coordinator and worker
/// daemon with the sample tasks) as a process, on the embedded store or on a real redis-server.
/// </summary>
public abstract class ClusterFixture : IAsyncLifetime
{
    private ChildProcess? _cluster;
    private RedisServer? _redis;
    private RedisClusterServer? _redisCluster;
    private GrpcChannel? _channel;
    private readonly string[] _extraArguments;
    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new(StringComparer.Ordinal);
    private string? _tokensDirectory;

    /// <param name="processes">Worker processes of the daemon.</param>
    /// <param name="redis">A real redis-server instead of the embedded store.</param>
    /// <param name="extraArguments">More arguments for `cluster up` (e.g. "--lease-ms", "900").</param>
    protected ClusterFixture(int processes, bool redis, params string[] extraArguments)
    {
        Processes = processes;
        UsesRedis = redis;
        _extraArguments = extraArguments;
    }

    /// <summary>More arguments for redis-server (with a real one).</summary>
    protected string[] RedisArguments { get; init; } = [];

    /// <summary>Appended to the redis-server's address in `--redis` (e.g. ",password=X"), with a real one.</summary>
    protected string RedisConfigurationSuffix { get; init; } = string.Empty;

    public int Processes { get; }

    /// <summary>Extra environment variables for the cluster process (its worker processes inherit them).</summary>
    protected IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public bool UsesRedis { get; }

    /// <summary>
    /// Lines of a tokens file (<c>ROLE NAME TOKEN</c>): when set, `cluster up` runs with
    /// <c>--tokens</c> on a file the fixture writes, holding these lines and the fixture's own grants
    /// (identity "fixture", every role, token <see cref="FixtureToken"/>), so <see cref="Admin"/>,
    /// <see cref="Tasks"/>, <see cref="Workers"/> and <see cref="NewExecutor()"/> keep working.
    /// Default: null, no tokens.
    /// </summary>
    protected string? Grants { get; init; }

    /// <summary>The token of the fixture's own identity (client, worker and admin) when <see cref="Grants"/> is set; else null.</summary>
    public string? FixtureToken { get; private set; }

    /// <summary>The tokens file the cluster reads, when <see cref="Grants"/> is set; else null.</summary>
    public string? TokensFile { get; private set; }

    /// <summary>A new random token (64 hex digits).</summary>
    public static string NewToken() => Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

    /// <summary>Replaces the grants of the tokens file (keeping the fixture's own), by an atomic rename as an operator would.</summary>
    public async Task WriteGrantsAsync(string grants)
    {
        var next = TokensFile + ".next";
        await File.WriteAllTextAsync(next, FileText(grants));
        File.Move(next, TokensFile!, overwrite: true);
    }

    private string FileText(string grants) =>
        $"# written by the test fixture\n{grants}\nclient fixture {FixtureToken}\nworker fixture {FixtureToken}\nadmin fixture {FixtureToken}\n";

    /// <summary>A channel to the coordinator that sends <paramref name="token"/> (null: none); kept until the fixture ends.</summary>
    public GrpcChannel ChannelFor(string? token) =>
        _channels.GetOrAdd(token ?? string.Empty, t => ClusterChannel.Create(Address, new ChannelSecurity { Token = t.Length > 0 ? t : null }));

    public Admin.AdminClient AdminFor(string? token) => new(ChannelFor(token));

    public Protocol.V1.Tasks.TasksClient TasksFor(string? token) => new(ChannelFor(token));

    public Protocol.V1.Workers.WorkersClient WorkersFor(string? token) => new(ChannelFor(token));

    /// <summary>An executor that sends <paramref name="token"/> (null: none).</summary>
    public ClusterExecutor NewExecutor(string? token) => new(Address.ToString(), new ClusterExecutorOptions { Token = token });

    /// <summary>With a real store: a Redis Cluster of this many masters instead of one redis-server (0: one redis-server).</summary>
    protected int RedisClusterMasters { get; init; }

    /// <summary>With a Redis Cluster: replicas of each master.</summary>
    protected int RedisClusterReplicas { get; init; }

    /// <summary>The Redis Cluster the fixture runs on; null on another store.</summary>
    public RedisClusterServer? RedisClusterServer => _redisCluster;

    /// <summary>Why this fixture could not start (e.g. redis-server is not installed); null when it runs.</summary>
    public string? Missing { get; private set; }

    public Uri Address { get; private set; } = null!;

    /// <summary>The coordinator's HTTP address (/metrics, /healthz), the free port it chose; null with <c>--http-port none</c>.</summary>
    public Uri? HttpAddress { get; private set; }

    /// <summary>The redis-server's address (host:port) when the fixture runs on one; else null.</summary>
    public string? RedisAddress => _redis?.Address;

    public int ClusterProcessId => _cluster!.Id;

    /// <summary>The redis-server's PID (with a real redis-server), e.g. to pause it with SIGSTOP.</summary>
    public int RedisProcessId => _redis!.ProcessId;

    public string Output => _cluster?.Output ?? string.Empty;

    /// <summary>Waits for a line of the cluster's output that matches <paramref name="pattern"/>.</summary>
    public Task<System.Text.RegularExpressions.Match> WaitForOutputAsync(string pattern, TimeSpan timeout) => _cluster!.WaitForOutputAsync(pattern, timeout);

    public Admin.AdminClient Admin => new(_channel!);

    public Protocol.V1.Tasks.TasksClient Tasks => new(_channel!);

    public Protocol.V1.Workers.WorkersClient Workers => new(_channel!);

    /// <summary>Skips (or fails, in CI) when the fixture's requirement is missing.</summary>
    public void Require() => Requirements.Require(Missing);

    public ClusterExecutor NewExecutor() => FixtureToken is null ? new(Address.ToString()) : NewExecutor(FixtureToken);

    public async Task InitializeAsync()
    {
        List<string> arguments = ["up", "--port", "0", "--processes", Processes.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        if (UsesRedis)
        {
            Missing = RedisClusterMasters > 0 ? RedisClusterServer.Missing : RedisServer.Missing;
            if (Missing is not null)
            {
                return;
            }
            if (RedisClusterMasters > 0)
            {
                _redisCluster = await RedisClusterServer.StartAsync(RedisClusterMasters, RedisClusterReplicas);
                arguments.AddRange(["--redis", _redisCluster.MasterAddresses + RedisConfigurationSuffix]);
            }
            else
            {
                _redis = await RedisServer.StartAsync(extraArguments: RedisArguments);
                arguments.AddRange(["--redis", _redis.Address + RedisConfigurationSuffix]);
            }
        }
        if (Grants is not null)
        {
            _tokensDirectory = Directory.CreateTempSubdirectory("cluster-tokens-").FullName;
            FixtureToken = NewToken();
            TokensFile = Path.Combine(_tokensDirectory, "tokens");
            await File.WriteAllTextAsync(TokensFile, FileText(Grants));
            arguments.AddRange(["--tokens", TokensFile]);
        }
        arguments.AddRange(_extraArguments);
        _cluster = ChildProcess.StartCluster(Environment, [.. arguments]);
        var listening = await _cluster.WaitForOutputAsync(@"Coordinator listening on (\S+)", TimeSpan.FromSeconds(90));
        Address = new Uri(listening.Groups[1].Value);
        if (!HttpPortOff(arguments))
        {
            HttpAddress = new Uri((await _cluster.WaitForOutputAsync(@"Metrics at (\S+/)metrics", TimeSpan.FromSeconds(30))).Groups[1].Value);
        }
        _channel = FixtureToken is null ? GrpcChannel.ForAddress(Address) : ChannelFor(FixtureToken);
        await WaitForWorkersAsync(Processes);
    }

    private static bool HttpPortOff(List<string> arguments)
    {
        var at = arguments.IndexOf("--http-port");
        return at >= 0 && at + 1 < arguments.Count && arguments[at + 1] == "none";
    }

    /// <summary>Waits until <paramref name="count"/> worker processes are connected.</summary>
    public Task WaitForWorkersAsync(int count) =>
        TaskTimeouts.Eventually(async () => (await Admin.StatusAsync(new StatusRequest())).Workers.Count == count, $"{count} worker processes are connected");

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
        if (_tokensDirectory is not null)
        {
            Directory.Delete(_tokensDirectory, recursive: true);
        }
        if (_redisCluster is not null)
        {
            await _redisCluster.DisposeAsync();
        }
    }
}

/// <summary>Two worker processes, embedded store.</summary>
public sealed class EmbeddedCluster() : ClusterFixture(processes: 2, redis: false);

/// <summary>Two worker processes, a real redis-server.</summary>
public sealed class RedisCluster() : ClusterFixture(processes: 2, redis: true);

/// <summary>One worker process, embedded store.</summary>
public sealed class SingleWorkerCluster() : ClusterFixture(processes: 1, redis: false);
