using System.Security.Cryptography;
using Cluster.Client;
using Cluster.Contracts;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Grpc.Net.Client;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// A real cluster (`cluster up --tokens FILE`, one worker process) whose tokens file grants two client
/// identities, alice and bob, an admin, and the worker identity `cluster up` hands its daemon. Each
/// identity gets its own channel carrying its token.
/// </summary>
public abstract class OwnershipTokensCluster : IAsyncLifetime
{
    private readonly bool _redis;
    private readonly string _directory = Directory.CreateTempSubdirectory("cluster-ownership-").FullName;
    private ChildProcess? _cluster;
    private RedisServer? _redisServer;
    private GrpcChannel? _alice;
    private GrpcChannel? _bob;
    private GrpcChannel? _admin;

    protected OwnershipTokensCluster(bool redis) => _redis = redis;

    public string AliceToken { get; } = NewToken();

    public string BobToken { get; } = NewToken();

    public string AdminToken { get; } = NewToken();

    public string WorkerToken { get; } = NewToken();

    /// <summary>Why this fixture could not start (redis-server is not installed); null when it runs.</summary>
    public string? Missing { get; private set; }

    public Uri Address { get; private set; } = null!;

    public string Output => _cluster?.Output ?? string.Empty;

    public Protocol.V1.Tasks.TasksClient Alice => new(_alice!);

    public Protocol.V1.Tasks.TasksClient Bob => new(_bob!);

    public Admin.AdminClient Admin => new(_admin!);

    public void Require() => Requirements.Require(Missing);

    public ClusterExecutor NewExecutor(string token) => new(Address.ToString(), new ClusterExecutorOptions { Token = token });

    public async Task InitializeAsync()
    {
        var tokens = Path.Combine(_directory, "tokens");
        await File.WriteAllLinesAsync(tokens,
        [
            $"client alice {AliceToken}",
            $"client bob {BobToken}",
            $"admin root {AdminToken}",
            $"worker daemon {WorkerToken}",
        ]);
        List<string> arguments = ["up", "--port", "0", "--processes", "1", "--tokens", tokens];
        if (_redis)
        {
            Missing = RedisServer.Missing;
            if (Missing is not null)
            {
                return;
            }
            _redisServer = await RedisServer.StartAsync();
            arguments.AddRange(["--redis", _redisServer.Address]);
        }
        _cluster = ChildProcess.StartCluster([.. arguments]);
        var listening = await _cluster.WaitForOutputAsync(@"Coordinator listening on (\S+)", TimeSpan.FromSeconds(90));
        Address = new Uri(listening.Groups[1].Value);
        _alice = ClusterChannel.Create(Address, new ChannelSecurity { Token = AliceToken });
        _bob = ClusterChannel.Create(Address, new ChannelSecurity { Token = BobToken });
        _admin = ClusterChannel.Create(Address, new ChannelSecurity { Token = AdminToken });
        await TaskTimeouts.Eventually(async () => (await Admin.StatusAsync(new StatusRequest())).Workers.Count == 1, "the worker process is connected");
    }

    public async Task DisposeAsync()
    {
        _alice?.Dispose();
        _bob?.Dispose();
        _admin?.Dispose();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
        if (_redisServer is not null)
        {
            await _redisServer.DisposeAsync();
        }
        Directory.Delete(_directory, recursive: true);
    }

    private static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
