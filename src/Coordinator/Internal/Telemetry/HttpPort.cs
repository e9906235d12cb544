using System.Net;
using Cluster.Coordinator.Internal.Dashboard;
using Cluster.Coordinator.Internal.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Coordinator.Internal.Telemetry;

/// <summary>
/// The coordinator's plain HTTP/1.1 port beside its gRPC port (<see cref="CoordinatorOptions.HttpPort"/>),
/// bound to the same address: the dashboard at <c>GET /</c> (<see cref="Dashboard.DashboardEndpoints"/>), <c>GET /healthz</c> (200 "SERVING" while the store answers, else 503
/// "NOT_SERVING"; never needs a token) and <c>GET /metrics</c> (Prometheus text of the <c>Cluster</c>
/// meter; with tokens configured, only for an admin token). The gRPC port speaks HTTP/2 only, so a
/// request over HTTP/1.x came through this port.
/// </summary>
internal sealed class HttpPort
{
    private ListenOptions? _listen;

    /// <summary>Listens on the HTTP port, unless it is off.</summary>
    public void Listen(KestrelServerOptions kestrel, CoordinatorOptions options)
    {
        if (options.HttpPort is not { } port)
        {
            return;
        }
        kestrel.Listen(IPAddress.Parse(options.Host), port, listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            _listen = listen;
        });
    }

    /// <summary>The address it serves (the port chosen when 0 was asked), once started; null when off.</summary>
    public Uri? Address => _listen is { } listen
        ? new Uri($"http://{(listen.IPEndPoint!.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : listen.IPEndPoint.Address)}:{listen.IPEndPoint.Port}")
        : null;

    /// <summary>Serves the HTTP port's requests, ahead of everything gRPC needs (tokens by gRPC's rules, frame checks).</summary>
    public static void Map(WebApplication app)
    {
        if (app.Services.GetService<PrometheusMeters>() is not { } meters)
        {
            return;
        }
        var health = app.Services.GetRequiredService<StoreHealth>();
        // With tokens (a file or grants in memory) /metrics wants an admin token; without, it is open like every call.
        var access = app.Services.GetRequiredService<DashboardAccess>();
        var dashboard = app.Services.GetRequiredService<DashboardEndpoints>();
        app.MapWhen(IsHttp1, branch =>
        {
            branch.UseOpenTelemetryPrometheusScrapingEndpoint(meters.Provider, context => context.Request.Path == "/metrics", path: null,
                configureBranchedPipeline: metrics =>
                {
                    if (access.SignInNeeded)
                    {
                        metrics.Use((context, next) => AdminOnlyAsync(context, next, access));
                    }
                },
                optionsName: null);
            branch.Run(context => context.Request.Path == "/healthz" ? HealthAsync(context, health)
                : dashboard.TryServe(context, string.Empty, context.Request.Path.Value ?? "/", out var served) ? served
                : NotFoundAsync(context));
        });
    }

    private static bool IsHttp1(HttpContext context) => HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol);

    private static Task HealthAsync(HttpContext context, StoreHealth health)
    {
        context.Response.StatusCode = health.Serving ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(health.Serving ? "SERVING\n" : "NOT_SERVING\n");
    }

    private static Task NotFoundAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync("Not found: this port serves the dashboard at GET /, GET /metrics and GET /healthz.\n");
    }

    /// <summary>With tokens configured, /metrics (task names and counts) is for an admin token only (a bearer header, or the dashboard's sign-in), as Admin.Status is.</summary>
    private static Task AdminOnlyAsync(HttpContext context, RequestDelegate next, DashboardAccess access)
    {
        var verdict = access.Check(context, out var identity);
        if (verdict == DashboardAccess.Verdict.Allowed)
        {
            return next(context);
        }
        context.Response.StatusCode = verdict == DashboardAccess.Verdict.Unauthenticated ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(verdict == DashboardAccess.Verdict.Unauthenticated
            ? "/metrics needs the header 'Authorization: Bearer TOKEN' with an admin token of the coordinator's tokens file.\n"
            : $"identity '{identity}' lacks the 'admin' role needed by /metrics.\n");
    }
}
