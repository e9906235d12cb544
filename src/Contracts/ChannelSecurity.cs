namespace Cluster.Contracts;

/// <summary>
/// How a client or worker proves who it is to a coordinator and which coordinator it trusts:
/// a bearer token sent on every call, and for https:// addresses the certificate authority to
/// trust and (for mutual TLS) the caller's own certificate. Every part is optional.
/// </summary>
public sealed record ChannelSecurity
{
    /// <summary>No token, the system's trusted roots.</summary>
    public static ChannelSecurity None { get; } = new();

    /// <summary>The bearer token sent as <c>authorization: Bearer TOKEN</c> on every call; null for none.</summary>
    public string? Token { get; init; }

    /// <summary>A PEM file of the certificate authority that signed the coordinator's certificate; null trusts the system's roots.</summary>
    public string? TlsCaFile { get; init; }

    /// <summary>A PEM certificate this side presents for mutual TLS; null for none.</summary>
    public string? TlsClientCertificateFile { get; init; }

    /// <summary>The PEM private key of <see cref="TlsClientCertificateFile"/>.</summary>
    public string? TlsClientKeyFile { get; init; }
}
