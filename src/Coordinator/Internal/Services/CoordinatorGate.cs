using Cluster.Coordinator.Internal.Security;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.Coordinator.Internal.Services;

/// <summary>
/// What every call to the coordinator's services passes before gRPC reads it, in order: the
/// bearer token and the role its service needs (with a tokens file or grants), a worker's
/// certificate (with a client CA), then the check of its request frames. Built once, at the first
/// call, from the coordinator's checked options.
/// </summary>
internal sealed class CoordinatorGate
{
    private readonly Func<HttpContext, RequestDelegate, Task> _pass;
    private readonly CancellationToken _stopping;

    public CoordinatorGate(CoordinatorOptions options, MalformedRequests malformed, IServiceProvider services, IHostApplicationLifetime lifetime)
    {
        _stopping = lifetime.ApplicationStopping;
        Func<HttpContext, RequestDelegate, Task> pass = (context, next) => MalformedFrames.RewriteAsync(context, next, malformed);
        if (ServerTls.Load(options)?.ClientAuthorities is { } workerAuthorities)
        {
            var certificates = new WorkerCertificates(workerAuthorities);
            var inner = pass;
            pass = (context, next) => certificates.CheckAsync(context, c => inner(c, next));
        }
        if (SecuritySettings.Authenticates(options))
        {
            // First: a caller without a known token or the service's role is answered before gRPC reads its body.
            var authentication = services.GetRequiredService<TokenAuthentication>();
            var inner = pass;
            pass = (context, next) => authentication.InvokeAsync(context, c => inner(c, next));
        }
        _pass = pass;
    }

    /// <summary>Wraps the handler of one of the coordinator's endpoints.</summary>
    public static RequestDelegate Guard(RequestDelegate handler) => async context =>
    {
        var gate = context.RequestServices.GetRequiredService<CoordinatorGate>();
        if (context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method.Type is MethodType.Unary or null)
        {
            await gate._pass(context, handler).ConfigureAwait(false);
            return;
        }
        // A long-lived stream (a worker's connection, a session's completions) ends when the
        // application stops, so the server can: its worker or client dials again, another
        // coordinator or this one restarted, and resumes there.
        using var stopping = gate._stopping.Register(static c => ((HttpContext)c!).Abort(), context);
        await gate._pass(context, handler).ConfigureAwait(false);
    };

    /// <summary>The token check, made from the options (registered; resolved only when authentication is on).</summary>
    public static TokenAuthentication CreateAuthentication(IServiceProvider services)
    {
        var options = services.GetRequiredService<CoordinatorOptions>();
        return new TokenAuthentication(options.TokensFile, options.Grants, services.GetRequiredService<ILogger<TokenAuthentication>>());
    }
}
