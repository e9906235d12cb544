using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;

namespace Cluster.IntegrationTests.Security;

public sealed class SecretsEmbeddedStoreTests(SecretsEmbeddedCluster cluster) : SecretsTests<SecretsEmbeddedCluster>(cluster), IClassFixture<SecretsEmbeddedCluster>
{
    [SkippableFact]
    public async Task EmbeddedStore_RefusesACommandFromAConnectionWithoutItsPassword()
    {
        Cluster.Require();
        // The status names where the store listens (and never how to log in).
        var store = (await Cluster.Admin.StatusAsync(new StatusRequest()).ResponseAsync.WithTimeout()).Store;
        var port = int.Parse(Regex.Match(store, @"^embedded Garnet at 127\.0\.0\.1:(\d+)$").Groups[1].Value, CultureInfo.InvariantCulture);
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port).WithTimeout();
        var stream = client.GetStream();

        await stream.WriteAsync(Encoding.ASCII.GetBytes("*2\r\n$4\r\nKEYS\r\n$1\r\n*\r\n")).AsTask().WithTimeout();
        var buffer = new byte[256];
        var read = await stream.ReadAsync(buffer).AsTask().WithTimeout();
        var reply = Encoding.ASCII.GetString(buffer, 0, read);

        Assert.StartsWith("-NOAUTH", reply, StringComparison.Ordinal);
    }
}
