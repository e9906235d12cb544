using System.Net;
using Cluster.Coordinator.Internal;
using Cluster.Coordinator.Internal.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cluster.Coordinator;

/// <summary>A running coordinator: gRPC on Kestrel in front of the task store.</summary>
public sealed class CoordinatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly StoreConnection _store;

    private CoordinatorHost(WebApplication app, StoreConnection store, Uri address)
    {
        _app = app;
        _store = store;
        Address = address;
    }

    /// <summary>The address clients and workers dial, e.g. http://127.0.0.1:5050 (https:// when serving TLS).</summary>
    public Uri Address { get; }

    /// <summary>The plain HTTP address of <c>/metrics</c> and <c>/healthz</c>, e.g. http://127.0.0.1:5051; null when the HTTP port is off.</summary>
    public Uri? HttpAddress { get; private init; }

    /// <summary>Where the tasks are kept: "embedded" or "redis".</summary>
    public string Store => _app.Services.GetRequiredService<CoordinatorOptions>().Redis is null ? "embedded" : "redis";

    /// <summary>
    /// Starts a coordinator: the embedded store when <see cref="CoordinatorOptions.Redis"/> is null,
    /// the connection to the store, then gRPC on a Kestrel of its own (the application
    /// <c>AddClusterCoordinator</c> and <c>MapClusterCoordinator</c> make); returns once it listens.
    /// </summary>
    /// <param name="options">The settings; validated first.</param>
    /// <param name="logLevel">The lowest level logged to the console. Default: Warning.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    /// <exception cref="ArgumentException">A setting is out of range or a TLS or tokens file is bad; the message names it.</exception>
    /// <exception cref="StoreUnreachableException">The store did not answer or refused the credentials.</exception>
    public static async Task<CoordinatorHost> StartAsync(CoordinatorOptions options, LogLevel logLevel = LogLevel.Warning, CancellationToken cancellationToken = default)
    {
        options.Validate();
        SecuritySettings.Validate(options);
        var tls = ServerTls.Load(options);
        // Connected before anything is built, so a store that does not answer is one clear error.
        // Its wait for a store that does not answer yet is logged before the application's logging exists.
        using var startupLogging = LoggerFactory.Create(logging => logging.SetMinimumLevel(logLevel).AddSimpleConsole(o => (o.SingleLine, o.TimestampFormat) = (true, "HH:mm:ss ")));
        var store = new StoreConnection(options, startupLogging.CreateLogger<StoreConnection>());
        WebApplication? app = null;
        try
        {
            await store.ConnectAsync(cancellationToken).ConfigureAwait(false);

            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.SetMinimumLevel(logLevel);
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            if (tls is not null)
            {
                // The slim builder leaves Kestrel's TLS support out unless asked for.
                builder.WebHost.UseKestrelHttpsConfiguration();
            }
            // The handlers never block, so they run on the thread that read their request rather than
            // being queued to the thread pool: a thread wake-up fewer per call and per stream message.
            builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
            var httpPort = new Internal.Telemetry.HttpPort();
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.Listen(IPAddress.Parse(options.Host), options.Port, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    tls?.Apply(listen);
                });
                httpPort.Listen(kestrel, options);
                // Notice a dead peer on the long-lived worker and completion streams.
                kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(10);
                kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
                kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
            });
            // The same services and endpoints as a coordinator hosted in an application, and the HTTP port.
            builder.Services.AddClusterCoordinator(options, store);
            Internal.Telemetry.Observability.AddHttpPort(builder.Services, options);

            app = builder.Build();
            Internal.Telemetry.HttpPort.Map(app);
            app.MapClusterCoordinator();
            await app.StartAsync(cancellationToken).ConfigureAwait(false);

            var bound = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var address = new Uri(bound.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
            return new CoordinatorHost(app, store, address) { HttpAddress = httpPort.Address };
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs until the token fires.</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>
    /// Stops serving (open calls get up to 5 seconds to end), then closes the store connection and
    /// stops the embedded store. Tasks stay in the store; workers reconnect to another coordinator.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
    }
}
