using System.Net;
using System.Net.Sockets;
using Garnet;
using Garnet.networking;
using Garnet.server;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// A Garnet server hosted in the coordinator process on a loopback port: a real RESP server,
/// reached through the same StackExchange.Redis code as an external Redis (the coordinator's
/// requests without the socket: <see cref="Tunnel"/>).
/// </summary>
internal sealed class EmbeddedStore : IDisposable
{
    private readonly Server _server;
    private readonly string? _scratch;
    private readonly string _password;

    private EmbeddedStore(Server server, int port, string password, string? scratch)
    {
        _server = server;
        Port = port;
        _password = password;
        _scratch = scratch;
    }

    public int Port { get; }

    /// <summary>How to connect, password included: keep it out of logs (<see cref="StoreAddress"/> prints the address alone).</summary>
    public string ConfigurationString => $"127.0.0.1:{Port},password={_password},abortConnect=false";

    /// <summary>
    /// The coordinator's own requests go to a store session in this process, not through the port
    /// (<see cref="InProcessTunnel"/>); the session still asks for the password, as one on the port would.
    /// </summary>
    public StackExchange.Redis.Configuration.Tunnel Tunnel => new InProcessTunnel(_server.Sessions);

    public static EmbeddedStore Start(string? dataDirectory)
    {
        var port = FreeLoopbackPort();
        // A fresh random password each start, even on loopback: another local process that finds
        // the port cannot read or change tasks. It is passed in-process, never on a command line.
        var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var args = new List<string>
        {
            "--bind", "127.0.0.1",
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--auth", "Password", "--password", password,
            // Lua is off and not atomic unless asked for: every state change is one atomic script.
            "--lua", "--lua-transaction-mode",
            "--memory", MemoryBudget(), "--index", "16m", "--page", "4m",
            "--logger-level", "Warning", "-q",
        };
        // Records past the in-memory budget spill to disk (tiered storage), so a large backlog is
        // bounded by disk, not memory; without --data the spill directory is scratch, removed at stop.
        var scratch = dataDirectory is null ? Directory.CreateTempSubdirectory("cluster-store-").FullName : null;
        var storage = Path.GetFullPath(dataDirectory ?? scratch!);
        Directory.CreateDirectory(storage);
        args.AddRange(["--storage-tier", "--logdir", storage, "--device-type", "RandomAccess"]);
        if (dataDirectory is not null)
        {
            // Append-only log committed before replies, recovered at start.
            args.AddRange(["--aof", "--aof-commit-wait", "--checkpointdir", storage, "--recover"]);
        }
        var server = new Server([.. args]);
        server.Start();
        return new EmbeddedStore(server, port, password, scratch);
    }

    /// <summary>
    /// What the store may hold in memory (records and the heap of their hashes, lists and sorted
    /// sets), as a garnet-server size: a quarter of the memory the process may use (the machine's, or
    /// its container's limit), at least 256 MiB. Pages are taken as the data grows, so a larger budget
    /// costs nothing at rest. Past it, whole records spill to disk, and a hash, list or sorted set of
    /// the keyspace is one record: one that holds a million tasks is written out and read back whole
    /// on its next use, which stalled a 1,000,000-task backlog for 40 s with a 256 MiB budget
    /// (docs/performance.md, "Embedded store memory").
    /// </summary>
    internal static string MemoryBudget()
    {
        const long Floor = 256L << 20;
        var quarter = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4;
        return (Math.Max(Floor, quarter) >> 20).ToString(System.Globalization.CultureInfo.InvariantCulture) + "m";
    }

    /// <summary>The Garnet server, and the session maker its port uses, for the coordinator's own sessions.</summary>
    private sealed class Server(string[] args) : GarnetServer(args)
    {
        public ISessionProvider Sessions => ((GarnetServerBase)storeWrapper.Servers[0]).GetSessionProviders()[WireFormat.ASCII];
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _server.Dispose();
        if (_scratch is not null)
        {
            try
            {
                Directory.Delete(_scratch, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
