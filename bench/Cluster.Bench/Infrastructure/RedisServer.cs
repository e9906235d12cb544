using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Cluster.Bench.Infrastructure;

/// <summary>
/// A redis-server of the benchmark's own on a free loopback port, append-only (fsync every
/// second) and no snapshots, in a temporary directory removed afterwards.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly string _directory;
    private ConnectionMultiplexer? _connection;

    private RedisServer(ChildProcess process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public int ProcessId => _process.Id;

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    public static async Task<RedisServer> StartAsync()
    {
        var executable = FindOnPath("redis-server") ?? throw new BenchException("--store redis needs redis-server on PATH (apt-get install redis-server).");
        var directory = Directory.CreateTempSubdirectory("cluster-bench-redis-").FullName;
        var port = FreeLoopbackPort();
        var process = ChildProcess.Start(executable,
        [
            "--port", port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--dir", directory,
        ]);
        var server = new RedisServer(process, directory, port);
        try
        {
            await process.WaitForOutputAsync("Ready to accept connections", TimeSpan.FromSeconds(30));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>INFO memory's used_memory: the bytes Redis has allocated for its data and itself.</summary>
    public async Task<long> UsedMemoryAsync()
    {
        _connection ??= await ConnectionMultiplexer.ConnectAsync(Address + ",allowAdmin=true");
        var info = (string?)await _connection.GetDatabase().ExecuteAsync("INFO", "memory") ?? string.Empty;
        foreach (var line in info.Split('\n'))
        {
            if (line.StartsWith("used_memory:", StringComparison.Ordinal))
            {
                return long.Parse(line["used_memory:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
        }
        throw new BenchException("INFO memory has no used_memory line.");
    }

    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
