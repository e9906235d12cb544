using Google.Protobuf;

namespace Cluster.Contracts;

/// <summary>
/// Byte bounds of the wire contract. No stream message is larger than <see cref="MaxMessageBytes"/>
/// (gRPC's default receive limit, which other languages' clients keep), so one payload is held to
/// that less <see cref="EnvelopeBytes"/> of room for the message around it.
/// </summary>
public static class WireLimits
{
    /// <summary>
    /// The most tasks one worker connection may hold of a kind, as its hello declares: a thread-pool
    /// capacity of threads × (1 + prefetch) above it is refused by the coordinator.
    /// </summary>
    public const int MaxWorkerSlots = 1_000_000;

    /// <summary>The largest message sent on any stream: 4 MiB.</summary>
    public const int MaxMessageBytes = 4 * 1024 * 1024;

    /// <summary>Room kept for ids, errors and framing around one payload: 64 KiB.</summary>
    public const int EnvelopeBytes = 64 * 1024;

    /// <summary>The largest payload (arguments or result) of one task: 4 MiB less the envelope.</summary>
    public const int MaxPayloadBytes = MaxMessageBytes - EnvelopeBytes;

    /// <summary>What one element adds to a repeated field of its message: tag, length and body.</summary>
    public static int ElementBytes(IMessage element) => 1 + CodedOutputStream.ComputeMessageSize(element);

    /// <summary>What one string adds to a repeated field of its message: tag, length and body.</summary>
    public static int ElementBytes(string element) => 1 + CodedOutputStream.ComputeStringSize(element);
}
