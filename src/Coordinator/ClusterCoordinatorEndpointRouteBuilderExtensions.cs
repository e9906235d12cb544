using Cluster.Coordinator.Internal;
using Cluster.Coordinator.Internal.Dashboard;
using Cluster.Coordinator.Internal.Services;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

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
            endpoints.MapGrpcService<ItemQueuesService>(),
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

    /// <summary>
    /// Maps the coordinator's live dashboard (the page the <c>cluster coordinator</c> command serves at
    /// <c>/</c> of its HTTP port) below <paramref name="path"/> of the application, e.g.
    /// <c>/cluster/</c>: the whole cluster's queues, workers, rates, failures and dead letters, read
    /// from the store and pushed to the page at most once a second. It asks for an admin token of the
    /// coordinator's tokens (when it has any) and keeps it in a cookie for that path only; its
    /// actions need the page's anti-forgery token. A browser speaks HTTP/1.1 (or HTTP/2 over TLS): the
    /// application must serve the path on such an endpoint (an HTTP/2-only cleartext endpoint, as the
    /// coordinator's gRPC needs, is not one). Opt-in, like the endpoints of the application's own:
    /// nothing is mapped unless this is called.
    /// </summary>
    /// <param name="endpoints">The application's endpoints (the WebApplication), with <c>services.AddClusterCoordinator(...)</c> added.</param>
    /// <param name="path">Where the dashboard lives. Default: <c>/cluster</c>; <c>/</c> maps it at the root.</param>
    /// <returns>A builder that adds conventions (e.g. <c>RequireHost</c>, <c>RequireAuthorization</c>) to the dashboard's endpoint.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> does not start with '/', or holds a route parameter or a query.</exception>
    public static IEndpointConventionBuilder MapClusterDashboard(this IEndpointRouteBuilder endpoints, string path = "/cluster")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(path);
        if (!path.StartsWith('/') || path.IndexOfAny(['{', '}', '?', '#', '*']) >= 0)
        {
            throw new ArgumentException($"The dashboard's path '{path}' must start with '/' and hold no route parameter, '*', '?' or '#' (e.g. \"/cluster\").", nameof(path));
        }
        var basePath = path.TrimEnd('/');
        return endpoints.Map(basePath + "/{**rest}", context =>
        {
            var rest = "/" + (context.Request.RouteValues["rest"] as string ?? string.Empty);
            if (rest == "/" && !(context.Request.Path.Value ?? string.Empty).EndsWith('/'))
            {
                // The page's links are relative to its own path: it is served with a trailing slash.
                context.Response.Redirect(context.Request.PathBase + basePath + "/");
                return Task.CompletedTask;
            }
            var dashboard = context.RequestServices.GetRequiredService<DashboardEndpoints>();
            if (dashboard.TryServe(context, context.Request.PathBase + basePath, rest, out var served))
            {
                return served;
            }
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }).WithDisplayName("Cluster dashboard");
    }
}
