namespace Cluster.IntegrationTests.Security;

/// <summary>How one fuzzed call ended.</summary>
/// <param name="Index">The frame's number: with the seed, it makes the same frame again.</param>
/// <param name="Path">The RPC.</param>
/// <param name="Status">The grpc-status code, or null when the call ended without one.</param>
/// <param name="Detail">The grpc-message, or what went wrong without a status.</param>
/// <param name="Body">The request body sent (gRPC frames).</param>
/// <param name="Elapsed">From sending to the end of the reply.</param>
internal sealed record FuzzOutcome(int Index, string Path, int? Status, string Detail, byte[] Body, TimeSpan Elapsed)
{
    /// <summary>UNKNOWN (2), INTERNAL (13) or no status at all: a fault of the coordinator, not of the frame.</summary>
    public bool IsFault => Status is null or 2 or 13;

    public override string ToString() =>
        $"#{Index} {Path} -> {(Status is { } s ? $"status {s}" : "no status")} '{Detail}'; body ({Body.Length} bytes) {Convert.ToHexString(Body.AsSpan(0, Math.Min(Body.Length, 512)))}{(Body.Length > 512 ? "..." : string.Empty)}";
}
