using System.Globalization;

namespace Cluster.Testing;

/// <summary>One redis-server of a <see cref="RedisClusterServer"/>: its process, port and role.</summary>
public sealed class RedisClusterNode
{
    internal RedisClusterNode(ChildProcess process, int port)
    {
        Process = process;
        Port = port;
    }

    internal ChildProcess Process { get; }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public int ProcessId => Process.Id;

    public bool IsAlive => !Process.HasExited;

    /// <summary>"master", "replica" or "failed", as the cluster last agreed.</summary>
    public string Role { get; internal set; } = "unknown";

    public override string ToString() => $"{Address} (pid {ProcessId}, {Role})";
}
