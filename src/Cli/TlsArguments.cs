using Cluster.Contracts;
using Cluster.Coordinator;

namespace Cluster.Cli;

/// <summary>
/// The --tls-* options: the coordinator's certificate, key and worker CA; the CA a client or
/// worker trusts (--tls-ca); a worker's own certificate for mutual TLS (--tls-client-cert, --tls-client-key).
/// </summary>
internal static class TlsArguments
{
    /// <summary>The coordinator's --tls-cert, --tls-key and --tls-client-ca into its options.</summary>
    public static void ReadCoordinator(Arguments args, CoordinatorOptions options)
    {
        options.TlsCertificateFile = FullPath(args.String("tls-cert"));
        options.TlsKeyFile = FullPath(args.String("tls-key"));
        options.TlsClientCaFile = FullPath(args.String("tls-client-ca"));
    }

    /// <summary>A client's --tls-ca.</summary>
    public static ChannelSecurity Client(Arguments args) => new() { TlsCaFile = FullPath(args.String("tls-ca")) };

    /// <summary>A worker's --tls-ca, --tls-client-cert and --tls-client-key.</summary>
    public static ChannelSecurity Worker(Arguments args)
    {
        var certificate = FullPath(args.String("tls-client-cert"));
        var key = FullPath(args.String("tls-client-key"));
        if ((certificate is null) != (key is null))
        {
            throw new UsageException("--tls-client-cert and --tls-client-key go together: give both or neither.");
        }
        return Client(args) with { TlsClientCertificateFile = certificate, TlsClientKeyFile = key };
    }

    /// <summary>
    /// What `cluster up`'s own worker daemon dials with: when the coordinator serves TLS, it trusts
    /// --tls-ca, else the coordinator's own certificate (right for a self-signed one); with
    /// --tls-client-ca it needs a client certificate of its own.
    /// </summary>
    public static ChannelSecurity UpWorker(Arguments args, CoordinatorOptions coordinator)
    {
        var security = Worker(args);
        if (coordinator.TlsClientCaFile is not null && security.TlsClientCertificateFile is null)
        {
            throw new UsageException("With --tls-client-ca, workers need a client certificate: give up's own worker --tls-client-cert and --tls-client-key, signed by that certificate authority.");
        }
        return coordinator.TlsCertificateFile is not null && security.TlsCaFile is null
            ? security with { TlsCaFile = coordinator.TlsCertificateFile }
            : security;
    }

    /// <summary>The options a worker process is started with, read back by <see cref="Worker"/>.</summary>
    public static IEnumerable<string> ForWorkerProcess(ChannelSecurity security)
    {
        foreach (var (name, file) in new[] { ("tls-ca", security.TlsCaFile), ("tls-client-cert", security.TlsClientCertificateFile), ("tls-client-key", security.TlsClientKeyFile) })
        {
            if (file is not null)
            {
                yield return "--" + name;
                yield return file;
            }
        }
    }

    private static string? FullPath(string? path) => path is null ? null : Path.GetFullPath(path);
}
