using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Cluster.Contracts;

/// <summary>
/// The PEM files of TLS settings, loaded with errors that name the setting, the file and what is
/// wrong with it (never the contents of a key), and the chain policy that trusts exactly one
/// certificate authority.
/// </summary>
public static class TlsFiles
{
    /// <summary>
    /// A certificate and its private key from two PEM files (the certificate file may hold a chain:
    /// its first certificate is the one the key belongs to), usable by SslStream on every platform.
    /// </summary>
    /// <param name="certificateFile">The PEM file of the certificate, or of a chain with it first.</param>
    /// <param name="keyFile">The PEM file of its unencrypted private key (PKCS#8, RSA or EC).</param>
    /// <param name="certificateSetting">The setting that named <paramref name="certificateFile"/>, for messages.</param>
    /// <param name="keySetting">The setting that named <paramref name="keyFile"/>, for messages.</param>
    /// <exception cref="ArgumentException">A file is missing, holds no certificate, or holds no key that matches; the message names the setting and the file.</exception>
    public static X509Certificate2 LoadCertificate(string certificateFile, string keyFile, string certificateSetting, string keySetting)
    {
        // Reports a missing file or a file without certificates before the key is looked at.
        _ = LoadCertificates(certificateFile, certificateSetting);
        RequireFile(keyFile, keySetting);
        X509Certificate2 pem;
        try
        {
            pem = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            // The exception's text is not forwarded: it could quote part of the key file.
            throw new ArgumentException($"{keySetting} '{keyFile}' holds no unencrypted PEM private key (PKCS#8, RSA or EC) that matches the first certificate in '{certificateFile}'.");
        }
        using (pem)
        {
            // A key read from PEM is ephemeral, which SslStream cannot use on every platform: a PKCS#12 round trip gives it a key it can.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
        }
    }

    /// <summary>Every certificate of a PEM file (a certificate authority, or a chain); at least one.</summary>
    /// <param name="file">The PEM file.</param>
    /// <param name="setting">The setting that named <paramref name="file"/>, for messages.</param>
    /// <exception cref="ArgumentException">The file is missing, is not PEM, or holds no certificate; the message names the setting and the file.</exception>
    public static X509Certificate2Collection LoadCertificates(string file, string setting)
    {
        RequireFile(file, setting);
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(file);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"{setting} '{file}' is not a valid PEM certificate file: {e.Message}");
        }
        if (certificates.Count == 0)
        {
            throw new ArgumentException($"{setting} '{file}' holds no PEM certificate (a -----BEGIN CERTIFICATE----- block).");
        }
        return certificates;
    }

    /// <summary>
    /// A chain policy that trusts exactly the self-signed certificates of <paramref name="authorities"/>
    /// as roots (not the system's), building through the others as intermediates, without revocation checks.
    /// </summary>
    public static X509ChainPolicy TrustOnly(X509Certificate2Collection authorities)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        foreach (var authority in authorities)
        {
            var selfSigned = authority.SubjectName.RawData.AsSpan().SequenceEqual(authority.IssuerName.RawData);
            (selfSigned ? policy.CustomTrustStore : policy.ExtraStore).Add(authority);
        }
        return policy;
    }

    private static void RequireFile(string file, string setting)
    {
        if (!File.Exists(file))
        {
            throw new ArgumentException($"{setting} '{file}' does not exist.");
        }
    }
}
