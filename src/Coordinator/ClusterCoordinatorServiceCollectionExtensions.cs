using Cluster.Contracts;
using Cluster.Coordinator;
using Cluster.Coordinator.Internal;
using Cluster.Coordinator.Internal.Security;
using Cluster.Coordinator.Internal.Services;
using Cluster.Coordinator.Internal.Store;
using Cluster.Shared;
using Grpc.AspNetCore.Server;
using Grpc.AspNetCore.Server.Model;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Hosts the cluster's coordinator inside an ASP.NET Core application.</summary>
public static class ClusterCoordinatorServiceCollectionExtensions
{
    /// <summary>
    /// Adds the coordinator's services, with <see cref="CoordinatorOptions"/> bound from
    /// <paramref name="configuration"/> (e.g. the section <c>Cluster:Coordinator</c>); map its gRPC
    /// services with <c>app.MapClusterCoordinator()</c>. The options are checked when the host
    /// starts — a setting out of range stops it, with a message naming the setting and its range —
    /// and the task store (Redis, or the embedded store) is connected before the server takes calls.
    /// The coordinator is served on the application's own endpoints, which must speak HTTP/2 (h2c,
    /// or HTTP/2 over TLS): <see cref="CoordinatorOptions.Port"/>, <see cref="CoordinatorOptions.Host"/>
    /// and the TLS certificate settings apply to the <c>cluster coordinator</c> command only. The
    /// application's own gRPC services, if any, get the coordinator's strict reading of requests too:
    /// a request that does not parse is answered with INVALID_ARGUMENT.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">The configuration section of the coordinator's settings.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddClusterCoordinator(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var setting = configuration is IConfigurationSection section ? section.Path : null;
        services.AddClusterCoordinatorOptions(setting).Bind(configuration);
        return services.AddClusterCoordinatorServices();
    }

    /// <summary>
    /// Adds the coordinator's services with the settings <paramref name="configure"/> writes; see
    /// <see cref="AddClusterCoordinator(IServiceCollection, IConfiguration)"/>.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Writes the coordinator's settings.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddClusterCoordinator(this IServiceCollection services, Action<CoordinatorOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddClusterCoordinatorOptions(setting: null).Configure(configure);
        return services.AddClusterCoordinatorServices();
    }

    /// <summary>The coordinator of <see cref="CoordinatorHost"/>: these options, checked already, and its store, connected already.</summary>
    internal static IServiceCollection AddClusterCoordinator(this IServiceCollection services, CoordinatorOptions options, StoreConnection store)
    {
        services.AddSingleton(Options.Options.Create(options));
        services.AddSingleton(store);
        return services.AddClusterCoordinatorServices();
    }

    /// <summary>The first bad setting: the coordinator's own rules, then protected mode and the per-identity limits.</summary>
    private static string? Problem(CoordinatorOptions options) =>
        SettingsValidator<CoordinatorOptions>.Problem(options.Validate) ?? SettingsValidator<CoordinatorOptions>.Problem(() => SecuritySettings.Validate(options));

    private static OptionsBuilder<CoordinatorOptions> AddClusterCoordinatorOptions(this IServiceCollection services, string? setting)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CoordinatorOptions>>(new SettingsValidator<CoordinatorOptions>(setting, Problem)));
        return services.AddOptions<CoordinatorOptions>().ValidateOnStart();
    }

    private static IServiceCollection AddClusterCoordinatorServices(this IServiceCollection services)
    {
        services.AddGrpc();
        // Requests that do not parse get INVALID_ARGUMENT and a rate-limited log line, not UNKNOWN and a stack trace.
        services.RemoveAll(typeof(IServiceMethodProvider<>));
        services.AddSingleton(typeof(IServiceMethodProvider<>), typeof(StrictServiceMethodProvider<>));
        services.ConfigureService<TasksService>().ConfigureService<WorkersService>().ConfigureService<AdminService>().ConfigureService<ItemQueuesService>().ConfigureService<SchedulesService>();
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<CoordinatorOptions>>().Value);
        services.TryAddSingleton<StoreConnection>();
        services.TryAddSingleton(sp => sp.GetRequiredService<StoreConnection>().Multiplexer);
        services.TryAddSingleton(sp => sp.GetRequiredService<StoreConnection>().Layout);
        services.TryAddSingleton(sp => sp.GetRequiredService<ShardLayout>().Base);
        services.TryAddSingleton<MalformedRequests>();
        services.TryAddSingleton<StreamLimits>();
        services.TryAddSingleton(CoordinatorGate.CreateAuthentication);
        services.TryAddSingleton<CoordinatorGate>();
        services.TryAddSingleton(sp => new TaskStore(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<ShardLayout>(), sp.GetRequiredService<CoordinatorOptions>(), sp.GetRequiredService<Notifier>()));
        services.TryAddSingleton<Notifier>();
        services.TryAddSingleton<Reaper>();
        services.TryAddSingleton<ItemQueueStore>();
        services.TryAddSingleton<Cluster.Coordinator.Internal.Queues.ItemQueueWaiters>();
        services.TryAddSingleton<Cluster.Coordinator.Internal.Schedules.ScheduleLoop>();
        services.AddHostedService<CoordinatorLifetime>();
        Cluster.Coordinator.Internal.Telemetry.Observability.AddServices(services);
        return services;
    }

    /// <summary>The coordinator's limits and interceptors on one of its gRPC services (not on the application's own).</summary>
    private static IServiceCollection ConfigureService<TService>(this IServiceCollection services)
        where TService : class
    {
        services.AddOptions<GrpcServiceOptions<TService>>().Configure(grpc =>
        {
            // Room for one task at the largest payload limit plus its envelope; the coordinator's own
            // limit (MaxPayloadBytes) is checked per task with a clear message. Not read from the
            // options: gRPC reads these when the services are mapped, before the options are checked.
            grpc.MaxReceiveMessageSize = WireLimits.MaxPayloadBytes * 2 + (1 << 20);
            grpc.MaxSendMessageSize = null;
            grpc.Interceptors.Add<ErrorInterceptor>();
            grpc.Interceptors.Add<StreamLimits>();
        });
        return services;
    }
}
