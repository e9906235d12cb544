using Cluster.Contracts;

namespace Cluster.Coordinator;

/// <summary>Settings of one coordinator process.</summary>
public sealed class CoordinatorOptions
{
    /// <summary>TCP port for gRPC (HTTP/2, over TLS with <see cref="TlsCertificateFile"/>); 0 picks a free one. Default: 5050.</summary>
    public int Port { get; set; } = 5050;

    /// <summary>
    /// TCP port of plain HTTP/1.1 beside the gRPC port, on the same address: <c>GET /metrics</c>
    /// (Prometheus text) and <c>GET /healthz</c>. 0 picks a free one; null turns it off. Default: 5051.
    /// </summary>
    public int? HttpPort { get; set; } = 5051;

    /// <summary>Address to bind. Default: 127.0.0.1 (use 0.0.0.0 to serve other hosts).</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>
    /// A Redis address (host:port) or a full StackExchange.Redis configuration string.
    /// Default: none, which hosts the embedded Garnet store in this process.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>Directory where the embedded store keeps its data across restarts. Default: none (memory only).</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Prefix of every store key; also its hash tag, so all keys share one slot. Default: "cluster".</summary>
    public string KeyPrefix { get; set; } = "cluster";

    /// <summary>
    /// Largest argument payload of one task, in bytes; at most (and by default) 4 MiB less 64 KiB,
    /// so that an assignment fits in a message a worker with gRPC's default limits can receive.
    /// Default: 4,128,768.
    /// </summary>
    public int MaxPayloadBytes { get; set; } = WireLimits.MaxPayloadBytes;

    /// <summary>
    /// Largest result of one task, in bytes: a larger one fails its task with an error that says so.
    /// At most (and by default) 4 MiB less 64 KiB, so that a completion fits in a message a client
    /// with gRPC's default limits can receive. Default: 4,128,768.
    /// </summary>
    public int MaxResultBytes { get; set; } = WireLimits.MaxPayloadBytes;

    /// <summary>Most tasks queued per task name and queue; a submit past it is refused with ResourceExhausted. Default: 0, unlimited.</summary>
    public long MaxQueued { get; set; }

    /// <summary>How long a worker's leases live without a heartbeat. Default: 10 seconds.</summary>
    public TimeSpan LeaseTime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often workers heartbeat. Default: 1 second.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long completions a client has not acknowledged, the ids of finished tasks and idempotency
    /// keys are kept. Default: 24 hours.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long dead letters are kept for inspection and requeue. Default: 7 days.</summary>
    public TimeSpan DeadLetterRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// A file of grants, one per line: <c>ROLE NAME TOKEN</c> (roles client, worker, admin; a worker
    /// grant may end with <c>names=a,b</c>). Every call must then carry one of its tokens; the file is
    /// read again when it changes. Default: none (every call is allowed, which is refused on a
    /// non-loopback address unless <see cref="Insecure"/>).
    /// </summary>
    public string? TokensFile { get; set; }

    /// <summary>Allows listening on a non-loopback address without <see cref="TokensFile"/>. Default: false.</summary>
    public bool Insecure { get; set; }

    /// <summary>A PEM certificate (chain) to serve HTTP/2 over TLS with; with <see cref="TlsKeyFile"/>. Default: none (cleartext).</summary>
    public string? TlsCertificateFile { get; set; }

    /// <summary>The PEM private key of <see cref="TlsCertificateFile"/>. Default: none.</summary>
    public string? TlsKeyFile { get; set; }

    /// <summary>A PEM certificate authority whose certificates workers must present (mutual TLS for Workers.Connect). Default: none.</summary>
    public string? TlsClientCaFile { get; set; }

    /// <summary>Most tasks in one Submit call (at least 1; `--max-batch`); a larger one is refused with ResourceExhausted. Default: 10,000.</summary>
    public int MaxBatchTasks { get; set; } = 10_000;

    /// <summary>Most streams (completion streams and worker connections) one identity holds open on this coordinator at once; its submit streams are counted apart, against the same number. Default: 1,000.</summary>
    public int MaxStreamsPerIdentity { get; set; } = 1000;

    /// <summary>Most sessions one identity streams completions of on this coordinator at once. Default: 256.</summary>
    public int MaxSessionsPerIdentity { get; set; } = 256;

    /// <summary>
    /// Grants held in memory beside <see cref="TokensFile"/>, as its lines would be (e.g. the worker
    /// token <c>cluster up</c> hands its own worker daemon). With any, every call must carry a token,
    /// as with a tokens file. Default: none.
    /// </summary>
    public IList<TokenGrant> Grants { get; } = [];

    /// <summary>
    /// At start-up, how long to wait for a task store that does not answer yet (hosts and containers
    /// start in any order), trying again and logging each try, before giving up. Default: 60 seconds.
    /// </summary>
    public TimeSpan StoreWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Replicas that must hold a state change before it is acknowledged: after each script the
    /// coordinator runs WAIT for this many replicas of the master that ran it (at most 2 s, then the
    /// call fails with Unavailable), so an accepted task survives a failover. Redis only. Default: 0
    /// (Redis replicates asynchronously: a failover may lose the last writes).
    /// </summary>
    public int ReplicaAcks { get; set; }

    /// <summary>
    /// Shards of the keyspace (each its own hash tag, so on Redis Cluster the shards spread over the
    /// masters). 0 follows the store: the count it was laid out with, or for a new store 1 on a
    /// single Redis or the embedded store and 4 per master on Redis Cluster. A count other than the
    /// store's is refused at start. Default: 0.
    /// </summary>
    public int Shards { get; set; }

    /// <summary>Throws with a message naming the bad setting.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"Port must be between 0 and 65535, not {Port}.");
        }
        if (HttpPort is < 0 or > 65535)
        {
            throw new ArgumentException($"HttpPort must be between 0 and 65535 (or none), not {HttpPort}.");
        }
        if (HttpPort is { } http && http != 0 && http == Port)
        {
            throw new ArgumentException($"HttpPort and Port must differ; both are {Port}.");
        }
        if (MaxPayloadBytes is <= 0 or > WireLimits.MaxPayloadBytes)
        {
            throw new ArgumentException($"MaxPayloadBytes must be from 1 to {WireLimits.MaxPayloadBytes} (4 MiB less 64 KiB for the message around it), not {MaxPayloadBytes}.");
        }
        if (MaxResultBytes is <= 0 or > WireLimits.MaxPayloadBytes)
        {
            throw new ArgumentException($"MaxResultBytes must be from 1 to {WireLimits.MaxPayloadBytes} (4 MiB less 64 KiB for the message around it), not {MaxResultBytes}.");
        }
        if (MaxBatchTasks < 1)
        {
            throw new ArgumentException($"MaxBatchTasks must be at least 1, not {MaxBatchTasks}.");
        }
        if (MaxQueued < 0)
        {
            throw new ArgumentException($"MaxQueued must be 0 (unlimited) or positive, not {MaxQueued}.");
        }
        if (Retention < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException($"Retention must be at least 1 second, not {Retention}.");
        }
        if (DeadLetterRetention < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException($"DeadLetterRetention must be at least 1 second, not {DeadLetterRetention}.");
        }
        if (string.IsNullOrWhiteSpace(KeyPrefix) || KeyPrefix.IndexOfAny(['{', '}', ':']) >= 0)
        {
            throw new ArgumentException($"KeyPrefix '{KeyPrefix}' must be non-empty and hold no '{{', '}}' or ':'.");
        }
        if (HeartbeatInterval <= TimeSpan.Zero || LeaseTime < HeartbeatInterval * 3)
        {
            throw new ArgumentException($"LeaseTime ({LeaseTime}) must be at least three HeartbeatIntervals ({HeartbeatInterval}).");
        }
        if (StoreWait < TimeSpan.Zero)
        {
            throw new ArgumentException($"StoreWait must be zero or more, not {StoreWait}.");
        }
        if (Shards is < 0 or > 1024)
        {
            throw new ArgumentException($"Shards must be between 1 and 1024 (or 0: follow the store), not {Shards}.");
        }
        if (ReplicaAcks < 0)
        {
            throw new ArgumentException($"ReplicaAcks must be 0 (no wait) or positive, not {ReplicaAcks}.");
        }
        if (ReplicaAcks > 0 && Redis is null)
        {
            throw new ArgumentException("ReplicaAcks (--replica-acks) needs Redis (--redis): the embedded store has no replicas.");
        }
        if (DataDirectory is not null && Redis is not null)
        {
            throw new ArgumentException("DataDirectory applies to the embedded store only; it cannot be combined with Redis.");
        }
        ValidateTls();
    }

    /// <summary>The TLS files: certificate and key together, a client CA only with them, and each one present and loadable.</summary>
    private void ValidateTls()
    {
        if ((TlsCertificateFile is null) != (TlsKeyFile is null))
        {
            throw new ArgumentException("TlsCertificateFile and TlsKeyFile (--tls-cert, --tls-key) go together: give both or neither.");
        }
        if (TlsClientCaFile is not null && TlsCertificateFile is null)
        {
            throw new ArgumentException("TlsClientCaFile (--tls-client-ca) needs TlsCertificateFile and TlsKeyFile (--tls-cert, --tls-key): workers present certificates only over TLS.");
        }
        // Loads every file, so that a bad one is named before anything starts.
        _ = Internal.Security.ServerTls.Load(this);
    }
}
