using System.Net;
using System.Net.Sockets;

namespace Cluster.IntegrationTests.Client;

/// <summary>Addresses where no coordinator answers: a loopback port nothing listens on, so a call fails Unavailable at once.</summary>
internal static class DeadCoordinator
{
    public static string Address()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }
}
