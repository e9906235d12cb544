using System.Security.Cryptography.X509Certificates;
using Cluster.Contracts;
using Microsoft.AspNetCore.Http;

namespace Cluster.Coordinator.Internal.Security;

/// <summary>
/// Mutual TLS for workers: a call to the Workers service must come over a connection whose client
/// certificate chains to the authority of <see cref="CoordinatorOptions.TlsClientCaFile"/>; any
/// other gets UNAUTHENTICATED, as gRPC's trailers-only reply, before its handler runs. Clients
/// (Tasks) and Admin need no certificate.
/// </summary>
internal sealed class WorkerCertificates(X509Certificate2Collection authorities)
{
    private static readonly PathString WorkersService = "/cluster.v1.Workers";
    private const string Unauthenticated = "16";

    /// <summary>Middleware: refuses a Workers call without a certificate the authority signed.</summary>
    public Task CheckAsync(HttpContext context, RequestDelegate next)
    {
        if (!context.Request.Path.StartsWithSegments(WorkersService))
        {
            return next(context);
        }
        var refusal = Refusal(context.Connection.ClientCertificate);
        if (refusal is null)
        {
            return next(context);
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = Unauthenticated;
        context.Response.Headers["grpc-message"] = Uri.EscapeDataString(refusal);
        return Task.CompletedTask;
    }

    /// <summary>Why <paramref name="certificate"/> may not connect a worker; null when it may.</summary>
    private string? Refusal(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return "Workers.Connect needs a client certificate on this coordinator (mutual TLS, --tls-client-ca): give the worker --tls-client-cert and --tls-client-key, signed by that certificate authority.";
        }
        using var chain = new X509Chain { ChainPolicy = TlsFiles.TrustOnly(authorities) };
        if (chain.Build(certificate))
        {
            return null;
        }
        var problems = string.Join("; ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
        return $"The client certificate '{certificate.Subject}' does not chain to the worker certificate authority of this coordinator (--tls-client-ca): {problems}.";
    }
}
