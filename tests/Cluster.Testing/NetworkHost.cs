namespace Cluster.Testing;

/// <summary>One host of <see cref="NetworkHosts"/>: its network namespace, its address, and its port on the switch.</summary>
/// <param name="Name">The role it was made for, e.g. "worker1".</param>
/// <param name="Namespace">The network namespace, unique per run (for this process's own host, the name of its link).</param>
/// <param name="Address">Its IPv4 address (10.77.n.x) on eth0.</param>
/// <param name="SwitchPort">The switch's end of its veth pair.</param>
public sealed record NetworkHost(string Name, string Namespace, string Address, string SwitchPort);
