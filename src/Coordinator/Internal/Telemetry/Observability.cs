using Cluster.Coordinator.Internal.Dashboard;
using Cluster.Coordinator.Internal.Health;
using Cluster.Coordinator.Internal.Security;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cluster.Coordinator.Internal.Telemetry;

/// <summary>What makes a coordinator observable: metrics, the store's health (gRPC and HTTP), gRPC reflection.</summary>
internal static class Observability
{
    /// <summary>Registers the instruments, the health service fed by the store's PING and reflection: every coordinator, hosted in an application or on its own.</summary>
    public static void AddServices(IServiceCollection services)
    {
        services.TryAddSingleton<QueueDepths>();
        services.TryAddSingleton<CoordinatorMetrics>();
        services.TryAddSingleton<HealthServiceImpl>();
        services.TryAddSingleton<StoreHealth>();
        services.AddHostedService(sp => sp.GetRequiredService<StoreHealth>());
        services.AddGrpcReflection();
        // The dashboard, on the HTTP port or mapped by an application (MapClusterDashboard); its loop
        // makes no store call while no page is open.
        services.TryAddSingleton<DashboardFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<DashboardFeed>());
        services.TryAddSingleton(sp => new DashboardAccess(SecuritySettings.Authenticates(sp.GetRequiredService<CoordinatorOptions>()) ? sp.GetRequiredService<TokenAuthentication>() : null));
        services.TryAddSingleton<DashboardEndpoints>();
        // Every coordinator writes its counts once a second, page open or not: any coordinator's page shows them.
        services.AddHostedService<Store.StatsFlush>();
    }

    /// <summary>With an HTTP port (the coordinator on its own Kestrel), the Prometheus exporter that serves its <c>/metrics</c>.</summary>
    public static void AddHttpPort(IServiceCollection services, CoordinatorOptions options)
    {
        if (options.HttpPort is not null)
        {
            services.AddSingleton<PrometheusMeters>();
        }
    }

    /// <summary>Maps grpc.health.v1 (open to every caller) and gRPC server reflection (admin, with tokens).</summary>
    public static IEnumerable<IEndpointConventionBuilder> MapServices(IEndpointRouteBuilder endpoints)
    {
        return [endpoints.MapGrpcService<HealthServiceImpl>(), endpoints.MapGrpcReflectionService()];
    }
}
