using System.Net;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// Where a store is, for people to read: its host:port list and nothing else. A Redis configuration
/// string may hold a password or an ACL user; neither is ever printed, logged or sent to a caller.
/// </summary>
internal static class StoreAddress
{
    /// <summary>"host:port, host:port" of a StackExchange.Redis configuration.</summary>
    public static string Of(ConfigurationOptions configuration) => Of(configuration.EndPoints);

    /// <summary>"host:port, host:port" of a list of endpoints.</summary>
    public static string Of(IEnumerable<EndPoint> endpoints) =>
        string.Join(", ", endpoints.Select(e => e switch
        {
            DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
            IPEndPoint ip => ip.ToString(),
            _ => "an endpoint",
        }));
}
