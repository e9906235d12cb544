using Cluster.Cli.Settings;
using Cluster.Contracts;
using Cluster.Coordinator;

namespace Cluster.Cli;

/// <summary>
/// The --tls-* options of clients and workers: the CA a client or worker trusts (--tls-ca); a
/// worker's own certificate for mutual TLS (--tls-client-cert, --tls-client-key). The
/// coordinator's own (--tls-cert, --tls-key, --tls-client-ca) are bound to its options.
/// </summary>
internal static class TlsArguments
{
    /// <summary>A client's --tls-ca.</summary>
    public static ChannelSecurity Client(SettingValues values) => new() { TlsCaFile = values.Get(ClusterOptions.TlsCa) };

    /// <summary>A worker's --tls-ca, --tls-client-cert and --tls-client-key.</summary>
    public static ChannelSecurity Worker(SettingValues values)
    {
        var certificate = values.Get(ClusterOptions.TlsClientCert);
        var key = values.Get(ClusterOptions.TlsClientKey);
        if ((certificate is null) != (key is null))
        {
            throw new UsageException("--tls-client-cert and --tls-client-key go together: give both or neither.");
        }
        return Client(values) with { TlsClientCertificateFile = certificate, TlsClientKeyFile = key };
    }

    /// <summary>
    /// What `cluster up`'s own worker daemon dials with: when the coordinator serves TLS, it trusts
    /// --tls-ca, else the coordinator's own certificate (right for a self-signed one); with
    /// --tls-client-ca it needs a client certificate of its own.
    /// </summary>
    public static ChannelSecurity UpWorker(SettingValues values, CoordinatorOptions coordinator)
    {
        var security = Worker(values);
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
        foreach (var (setting, file) in new[] { (ClusterOptions.TlsCa, security.TlsCaFile), (ClusterOptions.TlsClientCert, security.TlsClientCertificateFile), (ClusterOptions.TlsClientKey, security.TlsClientKeyFile) })
        {
            if (file is not null)
            {
                yield return setting.Flag;
                yield return file;
            }
        }
    }
}
