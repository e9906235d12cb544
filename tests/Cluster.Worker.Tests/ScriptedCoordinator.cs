using System.Net;
using System.Threading.Channels;
using Cluster.Protocol.V1;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cluster.Worker.Tests;

/// <summary>
/// A gRPC server on loopback that speaks the worker protocol as each test scripts it, for what a
/// real coordinator does not do on demand (take leases, announce a small result limit). It keeps
/// gRPC's default receive limit of 4 MiB, as a peer written in another language would.
/// </summary>
internal sealed class ScriptedCoordinator : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ScriptedCoordinator(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>Each worker stream, as it connects.</summary>
    public Channel<ScriptedConnection> Connections { get; } = Channel.CreateUnbounded<ScriptedConnection>();

    public static async Task<ScriptedCoordinator> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<ScriptedWorkersService>();
        var app = builder.Build();
        app.MapGrpcService<ScriptedWorkersService>();
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var coordinator = new ScriptedCoordinator(app, address);
        app.Services.GetRequiredService<ScriptedWorkersService>().Coordinator = coordinator;
        return coordinator;
    }

    /// <summary>The next worker stream to connect.</summary>
    public async Task<ScriptedConnection> NextConnectionAsync() =>
        await Connections.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
