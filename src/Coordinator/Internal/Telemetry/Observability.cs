using Cluster.Coordinator.Internal.Health;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Coordinator.Internal.Telemetry;

/// <summary>What makes a coordinator observable: metrics, the store's health (gRPC and HTTP), gRPC reflection.</summary>
internal static class Observability
{
    /// <summary>Registers the instruments, the health service fed by the store's PING, reflection and, with an HTTP port, the Prometheus exporter.</summary>
    public static void AddServices(IServiceCollection services, CoordinatorOptions options)
    {
        services.AddSingleton<QueueDepths>();
        services.AddSingleton<CoordinatorMetrics>();
        services.AddSingleton<HealthServiceImpl>();
        services.AddSingleton<StoreHealth>();
        services.AddHostedService(sp => sp.GetRequiredService<StoreHealth>());
        services.AddGrpcReflection();
        if (options.HttpPort is not null)
        {
            services.AddSingleton<PrometheusMeters>();
        }
    }

    /// <summary>Maps grpc.health.v1 (open to every caller) and gRPC server reflection (admin, with tokens).</summary>
    public static void MapServices(WebApplication app)
    {
        app.MapGrpcService<HealthServiceImpl>();
        app.MapGrpcReflectionService();
        // Created with the host, so the instruments exist before the first call.
        app.Services.GetRequiredService<CoordinatorMetrics>();
        app.Services.GetService<PrometheusMeters>();
    }
}
