using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>One attempt's error as the store keeps it (JSON, camelCase), for dead letters; with the worker that ran the attempt when known.</summary>
internal sealed record ErrorRecord(string Type, string Message, string StackTrace, int Attempt, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Worker = null)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
