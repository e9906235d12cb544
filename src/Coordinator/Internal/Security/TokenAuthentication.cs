using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cluster.Coordinator.Internal.Security;

/// <summary>
/// Authenticates every call by its bearer token before gRPC reads a byte of its body, and checks
/// the role its service needs. The grants come from the tokens file, read again when anything in
/// its directory changes (an edit, an atomic rename, a Kubernetes secret swap): a reload that fails
/// keeps the last good grants.
/// </summary>
internal sealed partial class TokenAuthentication : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(200);
    private const int MaxPathInMessage = 200;

    private readonly string? _path;
    private readonly TokenGrant[] _extra;
    private readonly ILogger _logger;
    private readonly FileSystemWatcher? _watcher;
    private readonly Timer _reload;
    private readonly Lock _reloading = new();
    private GrantSet _grants;

    /// <param name="path">The tokens file; null when only in-memory grants are given.</param>
    /// <param name="extra">Grants held in memory besides the file's (those of `cluster up`'s own worker and client).</param>
    /// <param name="logger">Logs each load of the file, and a reload that failed (the grants before it stay).</param>
    /// <exception cref="TokensFileException">The file cannot be read or holds a bad line.</exception>
    public TokenAuthentication(string? path, IEnumerable<TokenGrant> extra, ILogger<TokenAuthentication> logger)
    {
        _path = path is null ? null : Path.GetFullPath(path);
        _extra = [.. extra];
        _logger = logger;
        _grants = _path is null ? TokensFile.Parse("(none)", string.Empty, _extra) : TokensFile.Read(_path, _extra);
        _reload = new Timer(_ => Reload());
        if (_path is not null)
        {
            // The directory, not the file: a rename over the file or a swapped symlink is seen too.
            _watcher = new FileSystemWatcher(Path.GetDirectoryName(_path)!)
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            _watcher.Changed += (_, _) => ReloadSoon();
            _watcher.Created += (_, _) => ReloadSoon();
            _watcher.Deleted += (_, _) => ReloadSoon();
            _watcher.Renamed += (_, _) => ReloadSoon();
            _watcher.Error += (_, _) => ReloadSoon();
            _watcher.EnableRaisingEvents = true;
        }
        LogLoaded(_grants.Tokens, _grants.Identities, _path ?? "(in-memory grants only)");
    }

    /// <summary>The grants in force now.</summary>
    public GrantSet Grants => Volatile.Read(ref _grants);

    /// <summary>Middleware: refuses a call without a known token or the role its service needs, else attaches its identity.</summary>
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path.Value ?? string.Empty;
        if (ServiceRoles.IsOpen(path))
        {
            return next(context);
        }
        if (Check(context, path, out var refusal) is not { } identity)
        {
            return GrpcRefusal.WriteAsync(context, refusal.StatusCode, refusal.Detail);
        }
        context.Items[CallerIdentity.ItemKey] = identity.Caller;
        return next(context);
    }

    /// <summary>
    /// For a long-lived call, before each thing it asks: null while the token it opened with still
    /// grants the same identity the role its service needs (the tokens file may have changed since),
    /// else the status that ends the call.
    /// </summary>
    public RpcException? Recheck(HttpContext context)
    {
        var path = context.Request.Path.Value ?? string.Empty;
        if (Check(context, path, out var refusal) is not { } identity)
        {
            return new RpcException(refusal);
        }
        var opened = context.Items.TryGetValue(CallerIdentity.ItemKey, out var value) ? value as CallerIdentity : null;
        return opened is not null && opened.Name == identity.Name ? null
            : new RpcException(new Status(StatusCode.Unauthenticated, $"the token of this call to {path} now belongs to another identity in the coordinator's tokens file; open the call again."));
    }

    /// <summary>The identity the call's token grants with the role its path needs; else null, and the refusal.</summary>
    private IdentityGrant? Check(HttpContext context, string path, out Status refusal)
    {
        refusal = default;
        if (path.Length > MaxPathInMessage)
        {
            path = path[..MaxPathInMessage] + "...";
        }
        var token = BearerToken(context.Request);
        if (token is null)
        {
            refusal = new(StatusCode.Unauthenticated, $"no bearer token: {path} needs the metadata 'authorization: Bearer TOKEN' with a token the coordinator's tokens file grants.");
            return null;
        }
        if (Grants.Authenticate(token) is not { } identity)
        {
            refusal = new(StatusCode.Unauthenticated, $"unknown token: no grant of the coordinator's tokens file holds the token sent to {path} (was it rotated out?).");
            return null;
        }
        var role = ServiceRoles.Required(path);
        if (role != ClusterRole.None && (identity.Roles & role) == 0)
        {
            refusal = new(StatusCode.PermissionDenied, $"identity '{identity.Name}' lacks the '{role.ToString().ToLowerInvariant().Replace(", ", "' or '", StringComparison.Ordinal)}' role needed by {path}.");
            return null;
        }
        return identity;
    }

    private static string? BearerToken(HttpRequest request)
    {
        const string Scheme = "Bearer ";
        var values = request.Headers.Authorization;
        if (values.Count != 1 || values[0] is not { } value || !value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var token = value.AsSpan(Scheme.Length).Trim();
        return token.IsEmpty ? null : token.ToString();
    }

    /// <summary>Waits for the writes of one change to settle: a burst of events gives one reload.</summary>
    private void ReloadSoon() => _reload.Change(Settle, Timeout.InfiniteTimeSpan);

    private void Reload()
    {
        lock (_reloading)
        {
            try
            {
                var grants = TokensFile.Read(_path!, _extra);
                Volatile.Write(ref _grants, grants);
                LogLoaded(grants.Tokens, grants.Identities, _path!);
            }
            catch (TokensFileException e)
            {
                LogReloadFailed(_path!, e.Line, e.Message);
            }
        }
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _reload.Dispose();
    }
}
