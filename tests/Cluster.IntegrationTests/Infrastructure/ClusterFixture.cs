using Cluster.Client;
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

    public int Processes { get; }

    /// <summary>Extra environment variables for the cluster process (its worker processes inherit them).</summary>
    protected IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public bool UsesRedis { get; }

    /// <summary>With a real store: a Redis Cluster of this many masters instead of one redis-server (0: one redis-server).</summary>
    protected int RedisClusterMasters { get; init; }

    /// <summary>With a Redis Cluster: replicas of each master.</summary>
    protected int RedisClusterReplicas { get; init; }

    /// <summary>The Redis Cluster the fixture runs on; null on another store.</summary>
    public RedisClusterServer? RedisClusterServer => _redisCluster;

    /// <summary>Why this fixture could not start (e.g. redis-server is not installed); null when it runs.</summary>
    public string? Missing { get; private set; }

    public Uri Address { get; private set; } = null!;

    /// <summary>The redis-server's address (host:port) when the fixture runs on one; else null.</summary>
    public string? RedisAddress => _redis?.Address;

    public int ClusterProcessId => _cluster!.Id;

    /// <summary>The redis-server's PID (with a real redis-server), e.g. to pause it with SIGSTOP.</summary>
    public int RedisProcessId => _redis!.ProcessId;

    public string Output => _cluster?.Output ?? string.Empty;

    public Admin.AdminClient Admin => new(_channel!);

    public Protocol.V1.Tasks.TasksClient Tasks => new(_channel!);

    public Protocol.V1.Workers.WorkersClient Workers => new(_channel!);

    /// <summary>Skips (or fails, in CI) when the fixture's requirement is missing.</summary>
    public void Require() => Requirements.Require(Missing);

    public ClusterExecutor NewExecutor() => new(Address.ToString());

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
                arguments.AddRange(["--redis", _redisCluster.MasterAddresses]);
            }
            else
            {
                _redis = await RedisServer.StartAsync(extraArguments: RedisArguments);
                arguments.AddRange(["--redis", _redis.Address]);
            }
        }
        arguments.AddRange(_extraArguments);
        _cluster = ChildProcess.StartCluster(Environment, [.. arguments]);
        var listening = await _cluster.WaitForOutputAsync(@"Coordinator listening on (\S+)", TimeSpan.FromSeconds(90));
        Address = new Uri(listening.Groups[1].Value);
        _channel = GrpcChannel.ForAddress(Address);
        await WaitForWorkersAsync(Processes);
    }

    /// <summary>Waits until <paramref name="count"/> worker processes are connected.</summary>
    public Task WaitForWorkersAsync(int count) =>
        TaskTimeouts.Eventually(async () => (await Admin.StatusAsync(new StatusRequest())).Workers.Count == count, $"{count} worker processes are connected");

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
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
