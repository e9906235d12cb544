using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Cluster.IntegrationTests.Hosting;

/// <summary>A setting out of range in an application's configuration stops its host from starting, with a message naming the setting and its range.</summary>
public sealed class HostingOptionsTests
{
    private static async Task<OptionsValidationException> StartFailsAsync(Dictionary<string, string?> settings, Action<HostApplicationBuilder> add)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        add(builder);
        using var host = builder.Build();
        return await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(60)));
    }

    [Theory]
    [InlineData("MaxBatchesInFlight", "0", "Cluster:Client:MaxBatchesInFlight must be at least 1, not 0.")]
    [InlineData("MaxBatchBytes", "4194304", "Cluster:Client:MaxBatchBytes must be from 1 to 2097152")]
    [InlineData("Addresses:0", "tcp://127.0.0.1:5050", "Cluster:Client:Addresses: 'tcp://127.0.0.1:5050' is not a coordinator address")]
    public async Task AddClusterClient_BadSetting_StopsStart_NamingIt(string key, string value, string message)
    {
        var settings = new Dictionary<string, string?> { ["Cluster:Client:Addresses:0"] = "http://127.0.0.1:5050", ["Cluster:Client:" + key] = value };

        var error = await StartFailsAsync(settings, b => b.Services.AddClusterClient(b.Configuration.GetSection("Cluster:Client")));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddClusterClient_WithoutAddresses_StopsStart_NamingThem()
    {
        var error = await StartFailsAsync([], b => b.Services.AddClusterClient(b.Configuration.GetSection("Cluster:Client")));

        Assert.Contains("Cluster:Client:Addresses: Give at least one coordinator address.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Threads", "0", "Cluster:Worker:Threads must be between 1 and 4096, not 0.")]
    [InlineData("PrefetchPerThread", "5000", "Cluster:Worker:PrefetchPerThread must be between 0 and 1000, not 5000.")]
    [InlineData("Coordinators:0", "ftp://127.0.0.1:5050", "Cluster:Worker:Coordinator must be an http://, https:// or dns:/// address such as http://127.0.0.1:5050, not 'ftp://127.0.0.1:5050/'.")]
    public async Task AddClusterWorker_BadSetting_StopsStart_NamingIt(string key, string value, string message)
    {
        var settings = new Dictionary<string, string?> { ["Cluster:Worker:Coordinators:0"] = "http://127.0.0.1:5050", ["Cluster:Worker:" + key] = value };

        var error = await StartFailsAsync(settings, b => b.Services.AddClusterWorker(b.Configuration.GetSection("Cluster:Worker")).AddTask("never", () => 0));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddClusterWorker_WithMoreSlotsThanACoordinatorTakes_StopsStart_NamingBothSettings()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Cluster:Worker:Coordinators:0"] = "http://127.0.0.1:5050",
            ["Cluster:Worker:Threads"] = "2048",
            ["Cluster:Worker:PrefetchPerThread"] = "1000",
        };

        var error = await StartFailsAsync(settings, b => b.Services.AddClusterWorker(b.Configuration.GetSection("Cluster:Worker")).AddTask("never", () => 0));

        Assert.Contains("Threads × (1 + PrefetchPerThread) is 2050048; a worker process holds at most 1000000 tasks", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MaxPayloadBytes", "0", "Cluster:Coordinator:MaxPayloadBytes must be from 1 to 4128768")]
    [InlineData("KeyPrefix", "a:b", "Cluster:Coordinator:KeyPrefix 'a:b' must be non-empty and hold no")]
    [InlineData("MaxStreamsPerIdentity", "0", "Cluster:Coordinator:MaxStreamsPerIdentity (--max-streams) must be at least 1, not 0.")]
    public async Task AddClusterCoordinator_BadSetting_StopsStart_NamingIt(string key, string value, string message)
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Cluster:Coordinator:" + key] = value });
        builder.Services.AddClusterCoordinator(builder.Configuration.GetSection("Cluster:Coordinator"));
        await using var app = builder.Build();
        Microsoft.AspNetCore.Builder.ClusterCoordinatorEndpointRouteBuilderExtensions.MapClusterCoordinator(app);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync().WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
