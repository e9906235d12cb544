using Grpc.Core;

namespace Cluster.Coordinator.Internal.Security;

/// <summary>
/// The namespace of one caller's sessions, task ids and idempotency keys in the store: a value the
/// caller names is kept as <c>name|value</c>, and every id sent back to it loses the <c>name|</c>
/// again. Another identity naming the same value reaches its own namespace, never this one. The
/// anonymous identity (no tokens configured) has no scope: its values pass through unchanged and
/// nothing is allocated.
/// </summary>
internal readonly struct Scope
{
    // "name|", or null for the anonymous identity.
    private readonly string? _prefix;

    public Scope(string identityName) =>
        _prefix = identityName.Length == 0 ? null : identityName + CallerIdentity.ScopeSeparator;

    /// <summary>The scope of the identity that made this call.</summary>
    public static Scope Of(ServerCallContext context) => new(CallerIdentity.Of(context).Name);

    /// <summary>False for the anonymous identity: values are stored as given.</summary>
    public bool IsScoped => _prefix is not null;

    /// <summary>The value as the store keeps it: <c>name|value</c> (unchanged when anonymous).</summary>
    public string In(string value) => _prefix is null ? value : string.Concat(_prefix, value);

    /// <summary>
    /// The value as the caller named it: without its <c>name|</c> (unchanged when anonymous). A
    /// value holds the separator only where a scope put it, so what precedes the first one is the scope.
    /// </summary>
    public string Out(string value)
    {
        if (_prefix is null)
        {
            return value;
        }
        if (value.StartsWith(_prefix, StringComparison.Ordinal))
        {
            return value[_prefix.Length..];
        }
        var separator = value.IndexOf(CallerIdentity.ScopeSeparator, StringComparison.Ordinal);
        return separator < 0 ? value : value[(separator + 1)..];
    }
}
