using Cluster.Coordinator.Internal;
using Cluster.Coordinator.Internal.Services;
using Microsoft.AspNetCore.Routing;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the cluster's coordinator into an ASP.NET Core application.</summary>
public static class ClusterCoordinatorEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the coordinator's gRPC services (Tasks, Workers, Admin, Schedules, grpc.health.v1 and reflection) added with
    /// <c>services.AddClusterCoordinator(...)</c>. Every call to them first passes the coordinator's
    /// own checks — its tokens and roles, a worker's certificate, well-formed request frames — and
    /// those checks touch no other endpoint of the application.
    /// </summary>
    /// <param name="endpoints">The application's endpoints (the WebApplication).</param>
    /// <returns>A builder that adds conventions (e.g. <c>RequireHost</c>) to every endpoint of the coordinator.</returns>
    public static IEndpointConventionBuilder MapClusterCoordinator(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = new EndpointConventions(
        [
            endpoints.MapGrpcService<TasksService>(),
            endpoints.MapGrpcService<WorkersService>(),
            endpoints.MapGrpcService<AdminService>(),
            endpoints.MapGrpcService<SchedulesService>(),
            .. Cluster.Coordinator.Internal.Telemetry.Observability.MapServices(endpoints),
        ]);
        services.Add(endpoint =>
        {
            if (endpoint.RequestDelegate is { } handler)
            {
                endpoint.RequestDelegate = CoordinatorGate.Guard(handler);
            }
        });
        return services;
    }
}
