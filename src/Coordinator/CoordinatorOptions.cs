namespace Cluster.Coordinator;

/// <summary>Settings of one coordinator process.</summary>
public sealed class CoordinatorOptions
{
    /// <summary>TCP port for gRPC (HTTP/2 cleartext); 0 picks a free one. Default: 5050.</summary>
    public int Port { get; set; } = 5050;

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

    /// <summary>Largest argument payload of one task, in bytes. Default: 4 MiB.</summary>
    public int MaxPayloadBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>How long a worker's leases live without a heartbeat. Default: 10 seconds.</summary>
    public TimeSpan LeaseTime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often workers heartbeat. Default: 1 second.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a client session's undelivered completions are kept. Default: 24 hours.</summary>
    public TimeSpan SessionRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Throws with a message naming the bad setting.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"Port must be between 0 and 65535, not {Port}.");
        }
        if (MaxPayloadBytes <= 0)
        {
            throw new ArgumentException($"MaxPayloadBytes must be positive, not {MaxPayloadBytes}.");
        }
        if (string.IsNullOrWhiteSpace(KeyPrefix) || KeyPrefix.IndexOfAny(['{', '}', ':']) >= 0)
        {
            throw new ArgumentException($"KeyPrefix '{KeyPrefix}' must be non-empty and hold no '{{', '}}' or ':'.");
        }
        if (HeartbeatInterval <= TimeSpan.Zero || LeaseTime < HeartbeatInterval * 3)
        {
            throw new ArgumentException($"LeaseTime ({LeaseTime}) must be at least three HeartbeatIntervals ({HeartbeatInterval}).");
        }
        if (DataDirectory is not null && Redis is not null)
        {
            throw new ArgumentException("DataDirectory applies to the embedded store only; it cannot be combined with Redis.");
        }
    }
}
