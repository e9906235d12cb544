using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Hosting;

/// <summary>
/// samples/WebApi as a user runs it: the API (which hosts the coordinator and submits through DI)
/// and the worker host (whose handlers take DI services) as two processes, driven over HTTP.
/// </summary>
public sealed class WebApiSampleTests
{
    private static string Sample(string key) => typeof(WebApiSampleTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    private static ChildProcess Run(string dll, params string[] settings) =>
        ChildProcess.Start(ChildProcess.DotnetHost, [dll, "--contentRoot", Path.GetDirectoryName(dll)!, .. settings]);

    [Fact]
    public async Task Api_SubmitsThroughDI_AndTheWorkerHostPricesWithItsScopedServices()
    {
        var api = RedisServer.FreeLoopbackPort().ToString(CultureInfo.InvariantCulture);
        var coordinator = $"http://127.0.0.1:{RedisServer.FreeLoopbackPort().ToString(CultureInfo.InvariantCulture)}";
        await using var apiProcess = Run(Sample("WebApiSample"),
            $"--Kestrel:Endpoints:Api:Url=http://127.0.0.1:{api}", $"--Kestrel:Endpoints:Cluster:Url={coordinator}", $"--Cluster:Client:Addresses:0={coordinator}");
        await apiProcess.WaitForOutputAsync("Application started", TimeSpan.FromSeconds(60));
        await using var workerProcess = Run(Sample("WebApiWorkerSample"), $"--Cluster:Worker:Coordinators:0={coordinator}");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{api}"), Timeout = TaskTimeouts.Default };

        // Submits and waits.
        using var priced = await http.PostAsJsonAsync("/quotes", new { customer = "ann", lines = new[] { new { product = "apple", quantity = 3 }, new { product = "coffee", quantity = 1 } } });
        Assert.Equal(HttpStatusCode.OK, priced.StatusCode);
        var quote = await priced.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(9.15m, quote.GetProperty("total").GetDecimal());
        Assert.EndsWith("/" + workerProcess.Id.ToString(CultureInfo.InvariantCulture), quote.GetProperty("pricedBy").GetString(), StringComparison.Ordinal);
        // Submits, answers with the task's id at once; the quote is read later.
        using var accepted = await http.PostAsJsonAsync("/quotes/enqueue", new { customer = "bob", lines = new[] { new { product = "bread", quantity = 2 } } });
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var location = accepted.Headers.Location!;
        JsonElement later = default;
        await TaskTimeouts.Eventually(async () =>
        {
            using var read = await http.GetAsync(location);
            if (read.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }
            later = await read.Content.ReadFromJsonAsync<JsonElement>();
            return true;
        }, "the enqueued quote is priced");
        Assert.Equal(4.20m, later.GetProperty("total").GetDecimal());
        // A task that fails is an error the API reports.
        using var unknown = await http.PostAsJsonAsync("/quotes", new { customer = "ann", lines = new[] { new { product = "caviar", quantity = 1 } } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
        Assert.Contains("No product 'caviar' in the price list.", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A handler that takes IHttpClientFactory fetches a page (the API's own health endpoint).
        using var probed = await http.PostAsJsonAsync("/probe", new { url = $"http://127.0.0.1:{api}/health" });
        Assert.Equal(200, (await probed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32());
    }
}
