using System.Text.Json;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>One attempt's error as the store keeps it (JSON, camelCase), for dead letters.</summary>
internal sealed record ErrorRecord(string Type, string Message, string StackTrace, int Attempt)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
