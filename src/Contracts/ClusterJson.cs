using System.Text.Json;

namespace Cluster.Contracts;

/// <summary>How arguments and results travel: UTF-8 JSON with web defaults (camelCase, case-insensitive reads).</summary>
public static class ClusterJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
