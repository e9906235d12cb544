using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Cluster.Cli.Settings;

namespace Cluster.Cli.Commands;

/// <summary>
/// Writes what a deployment needs to be secure: a tokens file with one client, one worker and one
/// admin identity, each token in a file of its own, and a self-signed TLS certificate for the
/// coordinator's host names (its own trust root: clients and workers pass it as --tls-ca).
/// </summary>
internal static class SecretsCommand
{
    public static Task<int> RunAsync(SettingValues values)
    {
        var directory = values.Get(ClusterOptions.Out)!;
        var hosts = values.Get(ClusterOptions.Hosts)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var days = values.Get(ClusterOptions.Days);
        var force = values.Get(ClusterOptions.Force);
        if (hosts.Length == 0)
        {
            throw new UsageException("--hosts needs at least one host name or address.");
        }

        Directory.CreateDirectory(directory);
        var files = new[] { "tokens", "client.token", "worker.token", "admin.token", "tls.crt", "tls.key" };
        var existing = files.Where(f => File.Exists(Path.Combine(directory, f))).ToList();
        if (existing.Count > 0 && !force)
        {
            throw new UsageException($"{Path.Combine(directory, existing[0])} exists; pass --force to replace the secrets in {directory}.");
        }

        var tokens = new Dictionary<string, string>
        {
            ["client"] = ClientToken.New(),
            ["worker"] = ClientToken.New(),
            ["admin"] = ClientToken.New(),
        };
        Write(directory, "tokens",
            "# ROLE NAME TOKEN, one grant per line; the coordinator reads this file again when it changes.\n"
            + $"client app {tokens["client"]}\n"
            + $"worker workers {tokens["worker"]}\n"
            + $"admin ops {tokens["admin"]}\n", secret: true);
        foreach (var (role, token) in tokens)
        {
            Write(directory, role + ".token", token + "\n", secret: true);
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={hosts[0]}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var host in hosts)
        {
            if (IPAddress.TryParse(host, out var address))
            {
                names.AddIpAddress(address);
            }
            else
            {
                names.AddDnsName(host);
            }
        }
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(days));
        Write(directory, "tls.crt", certificate.ExportCertificatePem() + "\n", secret: false);
        Write(directory, "tls.key", key.ExportPkcs8PrivateKeyPem() + "\n", secret: true);

        Console.WriteLine($"""
            Wrote to {Path.GetFullPath(directory)}:
              tokens                          the coordinator's --tokens file (identities app: client, workers: worker, ops: admin)
              client.token worker.token admin.token   one token each, for --token-file or CLUSTER_TOKEN
              tls.crt tls.key                 a certificate for {string.Join(", ", hosts)}, valid {days} days: the coordinator's
                                              --tls-cert/--tls-key, and the --tls-ca of clients and workers
            Token and key files are readable by their owner only.
            """);
        return Task.FromResult(0);
    }

    private static void Write(string directory, string name, string content, bool secret)
    {
        var path = Path.Combine(directory, name);
        // Created with the final mode, so a secret is never readable by others, not even briefly.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            File.Delete(path);
            options.UnixCreateMode = secret
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        }
        using var writer = new StreamWriter(new FileStream(path, options));
        writer.Write(content);
    }
}
