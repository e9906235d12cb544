using Cluster.Contracts;

namespace Cluster.Worker;

/// <summary>Settings of one worker process.</summary>
public sealed class WorkerOptions
{
    /// <summary>The coordinator to dial, e.g. http://127.0.0.1:5050. Required (or <see cref="Coordinators"/>).</summary>
    public Uri? Coordinator { get; set; }

    /// <summary>More coordinators of the same cluster: after a broken connection the worker dials the next one. Default: none.</summary>
    public IList<Uri> Coordinators { get; } = [];

    /// <summary>Every address, <see cref="Coordinator"/> first.</summary>
    internal IReadOnlyList<Uri> Addresses => Coordinator is null ? [.. Coordinators] : [Coordinator, .. Coordinators.Where(c => c != Coordinator)];

    /// <summary>Threads of the process's bounded thread pool. Default: CPU count × 5.</summary>
    public int Threads { get; set; } = Environment.ProcessorCount * 5;

    /// <summary>Async handlers in flight at once on the coroutine loop. Default: 1,000.</summary>
    public int Coroutines { get; set; } = 1000;

    /// <summary>
    /// The queues whose tasks this worker takes (<c>SubmitOptions.Queue</c>): each 1 to 64 letters,
    /// digits or <c>_ . -</c>, at most 64. Default: none, which means "default" only.
    /// </summary>
    public IList<string> Queues { get; } = [];

    /// <summary>
    /// Most tasks leased ahead per thread, so a thread never waits on a round trip. The process
    /// leases ahead about 50 ms of work per thread, by the run time of its recent tasks: at least
    /// one task, at most this many, and at most 64 MiB of arguments in all. So short tasks flow
    /// without gaps, and a backlog of long ones is not hoarded by one worker. 0: none ahead.
    /// Default: 50.
    /// </summary>
    public int PrefetchPerThread { get; set; } = 50;

    /// <summary>The thread-pool tasks a worker process may hold, as its hello declares them: threads × (1 + prefetch).</summary>
    internal static long ThreadSlots(int threads, int prefetchPerThread) => (long)threads * (1 + prefetchPerThread);

    /// <summary>On stop, how long running tasks get to finish before their tokens fire. Default: 30 seconds.</summary>
    public TimeSpan DrainGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest pause between reconnection attempts. Default: 5 seconds.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The bearer token of a <c>worker</c> identity, sent on every call; needed when the coordinator
    /// has a tokens file. Default: none.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>A PEM file of the certificate authority to trust for https:// coordinators. Default: none (the system's roots).</summary>
    public string? TlsCa { get; set; }

    /// <summary>A PEM certificate to present for mutual TLS, when the coordinator asks workers for one. Default: none.</summary>
    public string? TlsClientCertificate { get; set; }

    /// <summary>The PEM private key of <see cref="TlsClientCertificate"/>. Default: none.</summary>
    public string? TlsClientKey { get; set; }

    /// <summary>The channel security these options describe.</summary>
    internal Contracts.ChannelSecurity Security => new()
    {
        Token = Token,
        TlsCaFile = TlsCa,
        TlsClientCertificateFile = TlsClientCertificate,
        TlsClientKeyFile = TlsClientKey,
    };

    /// <summary>Throws with a message naming the bad setting.</summary>
    public void Validate()
    {
        if (Addresses.Count == 0)
        {
            throw new ArgumentException($"Coordinator must be set: {ClusterChannel.AddressForms}.");
        }
        foreach (var address in Addresses)
        {
            if (!ClusterChannel.IsAddress(address))
            {
                throw new ArgumentException($"Coordinator must be {ClusterChannel.AddressForms}, not '{address}'.");
            }
        }
        if (Threads is < 1 or > 4096)
        {
            throw new ArgumentException($"Threads must be between 1 and 4096, not {Threads}.");
        }
        if (Coroutines is < 1 or > 1_000_000)
        {
            throw new ArgumentException($"Coroutines must be between 1 and 1000000, not {Coroutines}.");
        }
        if (PrefetchPerThread is < 0 or > 1000)
        {
            throw new ArgumentException($"PrefetchPerThread must be between 0 and 1000, not {PrefetchPerThread}.");
        }
        if (ThreadSlots(Threads, PrefetchPerThread) is var slots and > WireLimits.MaxWorkerSlots)
        {
            throw new ArgumentException($"Threads × (1 + PrefetchPerThread) is {slots:D}; a worker process holds at most {WireLimits.MaxWorkerSlots:D} tasks: lower Threads or PrefetchPerThread.");
        }
        if (QueueNames.Problem([.. Queues]) is { } queues)
        {
            throw new ArgumentException("Queues: " + queues);
        }
        // Loads the TLS files now, so a bad one stops the worker with its name instead of failing every connection.
        Contracts.ClusterChannel.CheckFiles(Security);
    }
}
