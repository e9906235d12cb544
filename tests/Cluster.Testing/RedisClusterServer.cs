using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Cluster.Testing;

/// <summary>
/// A real Redis Cluster on loopback: N masters (and optionally replicas), each a redis-server with
/// --cluster-enabled on a free port in one temporary directory, joined with
/// `redis-cli --cluster create`. Started only when every node says cluster_state:ok and all 16384
/// slots are covered. Stopped by PID; its directory removed.
/// </summary>
public sealed class RedisClusterServer : IAsyncDisposable
{
    /// <summary>The node timeout: a master unreachable this long is failed over to its replica.</summary>
    public static readonly TimeSpan NodeTimeout = TimeSpan.FromMilliseconds(1500);

    // Redis Cluster's bus listens on the node's port + 10000.
    private const int BusPortOffset = 10_000;

    private readonly List<RedisClusterNode> _nodes;
    private ConnectionMultiplexer? _connection;

    private RedisClusterServer(List<RedisClusterNode> nodes, string directory)
    {
        _nodes = nodes;
        Directory = directory;
    }

    /// <summary>Where every node keeps its cluster configuration file.</summary>
    public string Directory { get; }

    /// <summary>Every node, in the order they were started (masters first, as `--cluster create` assigns them).</summary>
    public IReadOnlyList<RedisClusterNode> Nodes => _nodes;

    /// <summary>The nodes' addresses as a StackExchange.Redis configuration / `--redis` list: "127.0.0.1:p1,127.0.0.1:p2,...".</summary>
    public string Addresses => string.Join(',', _nodes.Select(n => n.Address));

    /// <summary>The masters' addresses only (what a user would typically list).</summary>
    public string MasterAddresses => string.Join(',', _nodes.Where(n => n.Role == "master" && n.IsAlive).Select(n => n.Address));

    /// <summary>Why no Redis Cluster can start here; null when one can.</summary>
    public static string? Missing =>
        RedisServer.Missing
        ?? (ProgramPath.Find("redis-cli") is null ? "redis-cli is not installed (apt-get install redis-tools)" : null);

    /// <param name="masters">Master nodes (at least 3, as `redis-cli --cluster create` requires).</param>
    /// <param name="replicasPerMaster">Replicas of each master (1 for a failover test).</param>
    public static async Task<RedisClusterServer> StartAsync(int masters = 3, int replicasPerMaster = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(masters, 3);
        ArgumentOutOfRangeException.ThrowIfNegative(replicasPerMaster);
        // A port found free can be taken by another process before its node binds it: that node
        // exits at once, and the cluster starts again on new ports.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(masters, replicasPerMaster);
            }
            catch (TimeoutException e) when (attempt < 3 && e.Message.Contains("Address already in use", StringComparison.Ordinal))
            {
            }
        }
    }

    private static async Task<RedisClusterServer> StartOnceAsync(int masters, int replicasPerMaster)
    {
        var server = ProgramPath.Find("redis-server") ?? throw new InvalidOperationException(Missing);
        var cli = ProgramPath.Find("redis-cli") ?? throw new InvalidOperationException(Missing);
        var directory = System.IO.Directory.CreateTempSubdirectory("cluster-rediscluster-").FullName;
        var nodes = new List<RedisClusterNode>();
        var cluster = new RedisClusterServer(nodes, directory);
        try
        {
            for (var i = 0; i < masters * (1 + replicasPerMaster); i++)
            {
                var port = FreeNodePort();
                var text = port.ToString(CultureInfo.InvariantCulture);
                // A directory per node: a replica's full sync writes the RDB it receives to dump.rdb
                // in its directory and then loads that file by name, so replicas sharing a
                // directory could each load the RDB another one's master sent.
                var nodeDirectory = System.IO.Directory.CreateDirectory(Path.Combine(directory, text)).FullName;
                var process = ChildProcess.Start(server,
                [
                    "--port", text,
                    "--bind", "127.0.0.1",
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", Path.Combine(nodeDirectory, "nodes.conf"),
                    "--cluster-node-timeout", ((int)NodeTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                    // A replica takes over however long ago it last heard its master: on a loaded
                    // test machine a replication link can lag, and the failover must not depend on it.
                    "--cluster-replica-validity-factor", "0",
                    "--save", "",
                    "--appendonly", "no",
                    "--dir", nodeDirectory,
                ]);
                nodes.Add(new RedisClusterNode(process, port));
            }
            foreach (var node in nodes)
            {
                await node.Process.WaitForOutputAsync("Ready to accept connections", TimeSpan.FromSeconds(30));
            }
            await RunAsync(cli, ["--cluster", "create", .. nodes.Select(n => n.Address), "--cluster-replicas", replicasPerMaster.ToString(CultureInfo.InvariantCulture), "--cluster-yes"]);
            await cluster.WaitUntilOkAsync(TimeSpan.FromSeconds(60));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>A free loopback port whose cluster bus port (the port + 10000) is free too.</summary>
    private static int FreeNodePort()
    {
        while (true)
        {
            var port = RedisServer.FreeLoopbackPort();
            if (port + BusPortOffset > IPEndPoint.MaxPort)
            {
                continue;
            }
            try
            {
                using var bus = new TcpListener(IPAddress.Loopback, port + BusPortOffset);
                bus.Start();
                return port;
            }
            catch (SocketException)
            {
                // The bus port is taken: another.
            }
        }
    }

    /// <summary>
    /// Waits until every live node says cluster_state:ok with all 16384 slots assigned and ok, and
    /// agrees on which node is master of each slot range; the roles are then read again.
    /// </summary>
    public async Task WaitUntilOkAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        string last = "no answer yet";
        while (true)
        {
            try
            {
                var connection = await ConnectionAsync();
                var ok = true;
                foreach (var node in _nodes.Where(n => n.IsAlive))
                {
                    var info = (string?)await connection.GetServer(node.Address).ExecuteAsync("CLUSTER", "INFO") ?? string.Empty;
                    if (!info.Contains("cluster_state:ok", StringComparison.Ordinal) || !info.Contains("cluster_slots_ok:16384", StringComparison.Ordinal))
                    {
                        ok = false;
                        last = $"{node.Address}: {info.Replace("\r\n", " ", StringComparison.Ordinal)}";
                        break;
                    }
                }
                if (ok && await ReadRolesAsync(connection))
                {
                    return;
                }
            }
            catch (RedisException e)
            {
                last = e.Message;
            }
            if (deadline.Elapsed > timeout)
            {
                var logs = string.Join(Environment.NewLine, _nodes.Where(n => n.IsAlive).Select(n => $"--- {n}:{Environment.NewLine}{n.Process.Tail(15)}"));
                throw new TimeoutException($"The Redis Cluster did not become ok within {timeout.TotalSeconds:0} s: {last}{Environment.NewLine}{logs}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Reads each node's role from CLUSTER NODES as every live node sees it; true when every live
    /// node agrees and every node that was killed is flagged failed by all.
    /// </summary>
    private async Task<bool> ReadRolesAsync(ConnectionMultiplexer connection)
    {
        Dictionary<int, string>? agreed = null;
        foreach (var node in _nodes.Where(n => n.IsAlive))
        {
            var text = (string?)await connection.GetServer(node.Address).ExecuteAsync("CLUSTER", "NODES") ?? string.Empty;
            var roles = new Dictionary<int, string>();
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                // <id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot>...
                var fields = line.Split(' ');
                var port = int.Parse(fields[1].Split('@')[0].Split(':')[^1], CultureInfo.InvariantCulture);
                var flags = fields[2];
                if (flags.Contains("fail", StringComparison.Ordinal) && !flags.Contains("fail?", StringComparison.Ordinal))
                {
                    roles[port] = "failed";
                }
                else
                {
                    roles[port] = flags.Contains("master", StringComparison.Ordinal) ? "master" : "replica";
                }
            }
            if (agreed is null)
            {
                agreed = roles;
            }
            else if (!roles.OrderBy(r => r.Key).SequenceEqual(agreed.OrderBy(r => r.Key)))
            {
                return false;
            }
        }
        // A node killed is failed over only once every live node has flagged it failed (not merely suspected).
        if (agreed is null || _nodes.Any(n => !n.IsAlive && agreed.GetValueOrDefault(n.Port) != "failed"))
        {
            return false;
        }
        foreach (var node in _nodes)
        {
            node.Role = agreed.TryGetValue(node.Port, out var role) && node.IsAlive ? role : "failed";
        }
        return true;
    }

    /// <summary>The number of keys on each live master: how the keyspace spreads over the shards.</summary>
    public async Task<IReadOnlyDictionary<string, long>> DbSizePerMasterAsync()
    {
        var connection = await ConnectionAsync();
        var sizes = new Dictionary<string, long>();
        foreach (var node in _nodes.Where(n => n.IsAlive && n.Role == "master"))
        {
            sizes[node.Address] = await connection.GetServer(node.Address).DatabaseSizeAsync();
        }
        return sizes;
    }

    /// <summary>The live master that serves <paramref name="key"/>'s slot (CLUSTER KEYSLOT, then the slot map).</summary>
    public async Task<RedisClusterNode> MasterOfAsync(string key)
    {
        var connection = await ConnectionAsync();
        var any = _nodes.First(n => n.IsAlive);
        var slot = (int)await connection.GetServer(any.Address).ExecuteAsync("CLUSTER", "KEYSLOT", key);
        var shards = (RedisResult[])(await connection.GetServer(any.Address).ExecuteAsync("CLUSTER", "SLOTS"))!;
        foreach (var shard in shards)
        {
            var range = (RedisResult[])shard!;
            if ((int)range[0] <= slot && slot <= (int)range[1])
            {
                var master = (RedisResult[])range[2]!;
                var port = (int)master[1];
                return _nodes.Single(n => n.Port == port);
            }
        }
        throw new InvalidOperationException($"No node serves slot {slot} of '{key}'.");
    }

    /// <summary>The live replica of <paramref name="master"/> (CLUSTER NODES: the node whose master is its id).</summary>
    public async Task<RedisClusterNode> ReplicaOfAsync(RedisClusterNode master)
    {
        var connection = await ConnectionAsync();
        var text = (string?)await connection.GetServer(master.Address).ExecuteAsync("CLUSTER", "NODES") ?? string.Empty;
        // Over RESP3 the reply is a verbatim string, which keeps its "txt:" format mark.
        if (text.StartsWith("txt:", StringComparison.Ordinal))
        {
            text = text[4..];
        }
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToList();
        var id = lines.Single(f => f[2].Contains("myself", StringComparison.Ordinal))[0];
        foreach (var fields in lines.Where(f => f[3] == id))
        {
            var port = int.Parse(fields[1].Split('@')[0].Split(':')[^1], CultureInfo.InvariantCulture);
            if (_nodes.SingleOrDefault(n => n.Port == port && n.IsAlive) is { } replica)
            {
                return replica;
            }
        }
        throw new InvalidOperationException($"{master} has no live replica; it says:{Environment.NewLine}{text}");
    }

    /// <summary>
    /// Cuts <paramref name="replica"/> off its master's replication stream while the cluster bus
    /// goes on: it drops its link to the master and, given a password the master does not take,
    /// cannot make a new one. The master goes on acknowledging writes the replica never gets, as a
    /// lagging replica; the replica can still be promoted. Returns once its link is down.
    /// </summary>
    public async Task CutReplicationAsync(RedisClusterNode replica)
    {
        var connection = await ConnectionAsync();
        var server = connection.GetServer(replica.Address);
        await server.ExecuteAsync("CONFIG", "SET", "masterauth", Guid.NewGuid().ToString("N"));
        await server.ExecuteAsync("CLIENT", "KILL", "TYPE", "master");
        var deadline = Stopwatch.StartNew();
        while (!((string?)await server.ExecuteAsync("INFO", "replication") ?? string.Empty).Contains("master_link_status:down", StringComparison.Ordinal))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"The replication link of {replica} did not go down.");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>Undoes <see cref="CutReplicationAsync"/>: the replica links to its master again and catches up. Returns once its link is up.</summary>
    public async Task RestoreReplicationAsync(RedisClusterNode replica)
    {
        var connection = await ConnectionAsync();
        var server = connection.GetServer(replica.Address);
        await server.ExecuteAsync("CONFIG", "SET", "masterauth", "");
        var deadline = Stopwatch.StartNew();
        while (!((string?)await server.ExecuteAsync("INFO", "replication") ?? string.Empty).Contains("master_link_status:up", StringComparison.Ordinal))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"The replication link of {replica} did not come back.");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>The keys of <paramref name="node"/> (a replica too: read with READONLY) that are hashes holding <paramref name="field"/>.</summary>
    public async Task<IReadOnlyList<string>> HashesHoldingAsync(RedisClusterNode node, string field)
    {
        var connection = await ConnectionAsync();
        var server = connection.GetServer(node.Address);
        await server.ExecuteAsync("READONLY");
        var found = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: "*", pageSize: 1000))
        {
            if ((string?)await server.ExecuteAsync("TYPE", key) == "hash" && (long)await server.ExecuteAsync("HEXISTS", key, field) == 1)
            {
                found.Add(key!);
            }
        }
        return found;
    }

    /// <summary>The replication offset of <paramref name="node"/> (INFO replication: master_repl_offset).</summary>
    public async Task<long> ReplicationOffsetAsync(RedisClusterNode node)
    {
        var connection = await ConnectionAsync();
        var info = (string?)await connection.GetServer(node.Address).ExecuteAsync("INFO", "replication") ?? string.Empty;
        var line = info.Split("\r\n").Single(l => l.StartsWith("master_repl_offset:", StringComparison.Ordinal));
        return long.Parse(line["master_repl_offset:".Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Waits until <paramref name="replica"/> has processed its master's replication stream up to
    /// where <paramref name="master"/> stood at the call: every write acknowledged before it is then on
    /// the replica too.
    /// </summary>
    public async Task WaitForReplicaAsync(RedisClusterNode master, RedisClusterNode replica, TimeSpan timeout)
    {
        var target = await ReplicationOffsetAsync(master);
        var deadline = DateTime.UtcNow + timeout;
        while (await ReplicationOffsetAsync(replica) < target)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Replica {replica.Address} did not reach its master's offset {target} within {timeout.TotalSeconds:0} s.");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>Kills <paramref name="node"/> with SIGKILL (by its PID) and waits for it to be gone.</summary>
    public async Task KillAsync(RedisClusterNode node)
    {
        ChildProcess.Signal(node.ProcessId, ChildProcess.SigKill);
        await node.Process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        node.Role = "failed";
    }

    /// <summary>Kills the master of <paramref name="key"/>'s slot (SIGKILL by PID); returns it.</summary>
    public async Task<RedisClusterNode> KillMasterAsync(string key)
    {
        var master = await MasterOfAsync(key);
        await KillAsync(master);
        return master;
    }

    private async Task<ConnectionMultiplexer> ConnectionAsync()
    {
        if (_connection is null)
        {
            var configuration = ConfigurationOptions.Parse(Addresses);
            configuration.AllowAdmin = true;
            configuration.AbortOnConnectFail = false;
            configuration.ConnectTimeout = 2000;
            _connection = await ConnectionMultiplexer.ConnectAsync(configuration);
        }
        return _connection;
    }

    private static async Task RunAsync(string program, IEnumerable<string> arguments)
    {
        await using var process = ChildProcess.Start(program, arguments);
        var code = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        if (code != 0)
        {
            throw new InvalidOperationException($"`{process.Description}` exited with {code}:{Environment.NewLine}{process.Output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
        foreach (var node in _nodes)
        {
            await node.Process.DisposeAsync();
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
