using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Cluster.Testing;

/// <summary>A real redis-server on a free loopback port, append-only on, in its own temporary directory.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private ConnectionMultiplexer? _connection;

    private RedisServer(ChildProcess process, string directory, int port)
    {
        _process = process;
        Directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public int ProcessId => _process.Id;

    /// <summary>Where it keeps its append-only file.</summary>
    public string Directory { get; }

    /// <summary>Keep the data directory when disposed (to start a server on it again).</summary>
    public bool KeepData { get; set; }

    /// <summary>Why no redis-server can start here; null when one can.</summary>
    public static string? Missing => ProgramPath.Find("redis-server") is null ? "redis-server is not installed (apt-get install redis-server)" : null;

    /// <param name="appendFsync">always, everysec or no.</param>
    /// <param name="directory">Data directory; a new temporary one when null.</param>
    /// <param name="port">Port; a free one when null.</param>
    /// <param name="extraArguments">More redis-server arguments, e.g. --maxmemory.</param>
    public static async Task<RedisServer> StartAsync(string appendFsync = "everysec", string? directory = null, int? port = null, IReadOnlyList<string>? extraArguments = null)
    {
        var executable = ProgramPath.Find("redis-server") ?? throw new InvalidOperationException(Missing);
        directory ??= System.IO.Directory.CreateTempSubdirectory("cluster-redis-").FullName;
        var listen = port ?? FreeLoopbackPort();
        var process = ChildProcess.Start(executable,
        [
            "--port", listen.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "yes",
            "--appendfsync", appendFsync,
            "--dir", directory,
            .. extraArguments ?? [],
        ]);
        var server = new RedisServer(process, directory, listen);
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
        throw new InvalidOperationException("INFO memory has no used_memory line.");
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
        if (KeepData)
        {
            return;
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
