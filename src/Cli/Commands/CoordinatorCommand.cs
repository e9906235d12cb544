using Cluster.Contracts;
using Cluster.Coordinator;
using Microsoft.Extensions.Logging;

namespace Cluster.Cli.Commands;

internal static class CoordinatorCommand
{
    /// <summary>The coordinator's options that take no value.</summary>
    public static readonly IReadOnlySet<string> Flags = new HashSet<string> { "verbose", "insecure" };

    /// <summary>Reads the coordinator's options from the command line.</summary>
    public static CoordinatorOptions Options(Arguments args, int defaultPort)
    {
        var options = new CoordinatorOptions
        {
            Port = args.Int("port", defaultPort, 0, 65535),
            Host = args.String("host") ?? "127.0.0.1",
            Redis = args.String("redis"),
            DataDirectory = args.String("data"),
            KeyPrefix = args.String("prefix") ?? "cluster",
            MaxPayloadBytes = args.Int("max-payload", WireLimits.MaxPayloadBytes, 1, WireLimits.MaxPayloadBytes),
            MaxResultBytes = args.Int("max-result", WireLimits.MaxPayloadBytes, 1, WireLimits.MaxPayloadBytes),
            MaxQueued = args.Int("max-queued", 0, 0, int.MaxValue),
            MaxBatchTasks = args.Int("max-batch", 10_000, 1, int.MaxValue),
            Retention = TimeSpan.FromSeconds(args.Int("retention", 86_400, 1, int.MaxValue)),
            DeadLetterRetention = TimeSpan.FromSeconds(args.Int("dead-letter-retention", 7 * 86_400, 1, int.MaxValue)),
            LeaseTime = TimeSpan.FromMilliseconds(args.Int("lease-ms", 10_000, 300, 3_600_000)),
            HeartbeatInterval = TimeSpan.FromMilliseconds(args.Int("heartbeat-ms", 1000, 100, 600_000)),
            // Identities: every call carries a token of the file; beyond loopback, tokens or --insecure.
            TokensFile = args.String("tokens"),
            Insecure = args.Flag("insecure"),
            MaxStreamsPerIdentity = args.Int("max-streams", 1000, 1, int.MaxValue),
            MaxSessionsPerIdentity = args.Int("max-sessions", 256, 1, int.MaxValue),
            ReplicaAcks = args.Int("replica-acks", 0, 0, 16),
        };
        TlsArguments.ReadCoordinator(args, options);
        options.Validate();
        return options;
    }

    public static async Task<int> RunAsync(IEnumerable<string> rest, CancellationToken cancellationToken)
    {
        var args = new Arguments(rest, Flags);
        var options = Options(args, 5050);
        var verbose = args.Flag("verbose");
        args.RejectUnknown();
        await using var host = await CoordinatorHost.StartAsync(options, verbose ? LogLevel.Information : LogLevel.Warning, cancellationToken);
        Console.WriteLine($"Coordinator listening on {host.Address} (store: {Describe(options)})");
        await WaitAsync(cancellationToken);
        Console.WriteLine("Coordinator stopping.");
        return 0;
    }

    public static string Describe(CoordinatorOptions options) =>
        options.Redis is not null ? "redis" : options.DataDirectory is not null ? $"embedded, data in {Path.GetFullPath(options.DataDirectory)}" : "embedded, in memory";

    public static async Task WaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
