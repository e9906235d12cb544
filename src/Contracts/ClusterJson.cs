using System.Text.Json;

namespace Cluster.Contracts;

/// <summary>How arguments and results travel: UTF-8 JSON with web defaults (camelCase, case-insensitive reads).</summary>
public static class ClusterJson
{
    /// <summary>
    /// The serializer settings of every argument and result (<see cref="JsonSerializerDefaults.Web"/>), shared
    /// by client and worker; a handler's own JSON should use the same, or its names may not match.
    /// Read-only once first used.
    /// </summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
