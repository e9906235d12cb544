using System.Net;
using Cluster.Coordinator.Internal;
using Cluster.Coordinator.Internal.Security;
using Cluster.Coordinator.Internal.Services;
using Cluster.Coordinator.Internal.Store;
using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Cluster.Coordinator;

/// <summary>A running coordinator: gRPC on Kestrel in front of the task store.</summary>
public sealed class CoordinatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IConnectionMultiplexer _redis;
    private readonly EmbeddedStore? _embedded;

    private CoordinatorHost(WebApplication app, IConnectionMultiplexer redis, EmbeddedStore? embedded, Uri address)
    {
        _app = app;
        _redis = redis;
        _embedded = embedded;
        Address = address;
    }

    /// <summary>The address clients and workers dial, e.g. http://127.0.0.1:5050 (https:// when serving TLS).</summary>
    public Uri Address { get; }

    /// <summary>Where the tasks are kept: "embedded" or the Redis configuration.</summary>
    public string Store => _embedded is null ? "redis" : "embedded";

    public static async Task<CoordinatorHost> StartAsync(CoordinatorOptions options, LogLevel logLevel = LogLevel.Warning, CancellationToken cancellationToken = default)
    {
        options.Validate();
        SecuritySettings.Validate(options);
        var tls = ServerTls.Load(options);
        var embedded = options.Redis is null ? EmbeddedStore.Start(options.DataDirectory) : null;
        IConnectionMultiplexer? redis = null;
        try
        {
            var configuration = ConfigurationOptions.Parse(embedded?.ConfigurationString ?? options.Redis!);
            // The first connection must succeed (and says why it did not); later ones reconnect by themselves.
            configuration.AbortOnConnectFail = true;
            try
            {
                redis = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
            }
            catch (RedisConnectionException e)
            {
                // Named by host:port only: the configuration string may hold a password or ACL user.
                var why = e.FailureType == ConnectionFailureType.AuthenticationFailure
                    ? "it refused the credentials; check the password (and user) in the store's configuration (--redis)"
                    : $"{e.FailureType}";
                throw new StoreUnreachableException($"Cannot reach the task store at {StoreAddress.Of(configuration)}: {why}.");
            }

            ReplicaAcks.Require(redis, options.ReplicaAcks);

            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.SetMinimumLevel(logLevel);
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            if (tls is not null)
            {
                // The slim builder leaves Kestrel's TLS support out unless asked for.
                builder.WebHost.UseKestrelHttpsConfiguration();
            }
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.Listen(IPAddress.Parse(options.Host), options.Port, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    tls?.Apply(listen);
                });
                // Notice a dead peer on the long-lived worker and completion streams.
                kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(10);
                kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
                kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
            });
            builder.Services.AddGrpc(grpc =>
            {
                // Room for one task at the payload limit plus its envelope; the per-task limit is checked with a clear message.
                grpc.MaxReceiveMessageSize = options.MaxPayloadBytes * 2 + (1 << 20);
                grpc.MaxSendMessageSize = null;
                grpc.Interceptors.Add<ErrorInterceptor>();
                grpc.Interceptors.Add<StreamLimits>();
            });
            // Requests that do not parse get INVALID_ARGUMENT and a rate-limited log line, not UNKNOWN and a stack trace.
            builder.Services.RemoveAll(typeof(IServiceMethodProvider<>));
            builder.Services.AddSingleton(typeof(IServiceMethodProvider<>), typeof(StrictServiceMethodProvider<>));
            builder.Services.AddSingleton<MalformedRequests>();
            builder.Services.AddSingleton<StreamLimits>();
            if (SecuritySettings.Authenticates(options))
            {
                builder.Services.AddSingleton(sp => new TokenAuthentication(options.TokensFile, options.Grants, sp.GetRequiredService<ILogger<TokenAuthentication>>()));
            }
            var keys = new Keys(options.KeyPrefix);
            builder.Services.AddSingleton(options);
            builder.Services.AddSingleton(redis);
            builder.Services.AddSingleton(keys);
            builder.Services.AddSingleton<TaskStore>();
            builder.Services.AddSingleton<Notifier>();
            builder.Services.AddSingleton<Reaper>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<Reaper>());

            var app = builder.Build();
            if (app.Services.GetService<TokenAuthentication>() is { } authentication)
            {
                // First: a caller without a known token or the service's role is answered before gRPC reads its body.
                app.Use(authentication.InvokeAsync);
            }
            var malformed = app.Services.GetRequiredService<MalformedRequests>();
            if (tls?.ClientAuthorities is { } workerAuthorities)
            {
                app.Use(new WorkerCertificates(workerAuthorities).CheckAsync);
            }
            app.Use((context, next) => MalformedFrames.RewriteAsync(context, next, malformed));
            app.MapGrpcService<TasksService>();
            app.MapGrpcService<WorkersService>();
            app.MapGrpcService<AdminService>();
            app.Services.GetRequiredService<Notifier>();
            await app.StartAsync(cancellationToken).ConfigureAwait(false);

            var bound = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var address = new Uri(bound.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
            return new CoordinatorHost(app, redis, embedded, address);
        }
        catch
        {
            redis?.Dispose();
            embedded?.Dispose();
            throw;
        }
    }

    /// <summary>Runs until the token fires.</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await _redis.DisposeAsync().ConfigureAwait(false);
        _embedded?.Dispose();
    }
}
