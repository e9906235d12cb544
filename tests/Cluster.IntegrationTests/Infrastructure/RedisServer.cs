using System.Net;
using System.Net.Sockets;

namespace Cluster.IntegrationTests.Infrastructure;

/// <summary>A real redis-server on a free loopback port, append-only on, in its own temporary directory.</summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly string _directory;

    private RedisServer(ChildProcess process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public int ProcessId => _process.Id;

    public string Directory => _directory;

    /// <summary>Keep the data directory when disposed (to start a server on it again).</summary>
    public bool KeepData { get; set; }

    public static string? Missing => ProgramPath.Find("redis-server") is null ? "redis-server is not installed (apt-get install redis-server)" : null;

    public static async Task<RedisServer> StartAsync(string appendFsync = "everysec", string? directory = null, int? port = null)
    {
        directory ??= System.IO.Directory.CreateTempSubdirectory("cluster-redis-").FullName;
        var listenPort = port ?? FreeLoopbackPort();
        var process = ChildProcess.Start(ProgramPath.Find("redis-server")!,
        [
            "--port", listenPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "yes",
            "--appendfsync", appendFsync,
            "--dir", directory,
        ]);
        var server = new RedisServer(process, directory, listenPort);
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

    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        if (KeepData)
        {
            return;
        }
        try
        {
            System.IO.Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
