using System.Security.Cryptography;
using System.Text;
using Cluster.Coordinator.Internal.Security;
using Microsoft.AspNetCore.Http;

namespace Cluster.Coordinator.Internal.Dashboard;

/// <summary>
/// Who may use the dashboard: with tokens configured, only an admin token, given once on the sign-in
/// form and then kept in a cookie (HttpOnly, SameSite=Strict: no script reads it, no other site sends
/// it) or sent as <c>Authorization: Bearer</c>; without tokens, whoever reaches the port, as with every
/// call. Every action also needs the page's anti-forgery token, derived from the signed-in token (or a
/// secret of this process when there are no tokens), so only a page this port served can act.
/// </summary>
internal sealed class DashboardAccess(TokenAuthentication? authentication)
{
    /// <summary>The cookie that holds the admin token.</summary>
    public const string Cookie = "cluster_admin";

    /// <summary>The header an action carries the anti-forgery token in.</summary>
    public const string CsrfHeader = "X-Cluster-Csrf";

    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);

    /// <summary>Whether the dashboard asks for an admin token (tokens are configured).</summary>
    public bool SignInNeeded => authentication is not null;

    /// <summary>What a request may do.</summary>
    public enum Verdict
    {
        /// <summary>An admin, or anyone when there are no tokens.</summary>
        Allowed,

        /// <summary>No token, or one no grant holds.</summary>
        Unauthenticated,

        /// <summary>A known identity without the admin role.</summary>
        Forbidden,
    }

    /// <summary>Checks a request's token (its cookie or bearer header); <paramref name="identity"/> names a known caller.</summary>
    public Verdict Check(HttpContext context, out string? identity) => Check(Token(context.Request), out identity);

    /// <summary>Checks a token given on the sign-in form.</summary>
    public Verdict Check(string? token, out string? identity)
    {
        identity = null;
        if (authentication is null)
        {
            return Verdict.Allowed;
        }
        if (string.IsNullOrEmpty(token) || authentication.Grants.Authenticate(token) is not { } grant)
        {
            return Verdict.Unauthenticated;
        }
        identity = grant.Name;
        return (grant.Roles & ClusterRole.Admin) == ClusterRole.Admin ? Verdict.Allowed : Verdict.Forbidden;
    }

    /// <summary>The anti-forgery token of the page served for this request.</summary>
    public string CsrfToken(HttpContext context)
    {
        var token = Token(context.Request);
        var key = token is null ? _secret : SHA256.HashData(Encoding.UTF8.GetBytes(token));
        return Convert.ToHexString(HMACSHA256.HashData(key, "cluster dashboard action"u8)).ToLowerInvariant();
    }

    /// <summary>True when an action carries this page's anti-forgery token and no browser says it came from another site.</summary>
    public bool CsrfValid(HttpContext context)
    {
        var site = context.Request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && site != "same-origin")
        {
            return false;
        }
        var sent = context.Request.Headers[CsrfHeader].ToString();
        var expected = CsrfToken(context);
        return sent.Length == expected.Length && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(sent), Encoding.ASCII.GetBytes(expected));
    }

    /// <summary>The cookie that keeps a token: HttpOnly, SameSite=Strict, for the dashboard's path (<paramref name="basePath"/>, "" for the whole port).</summary>
    public static CookieOptions CookieOptions(HttpContext context, string basePath) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = context.Request.IsHttps,
        Path = basePath + "/",
        IsEssential = true,
    };

    private static string? Token(HttpRequest request)
    {
        const string Scheme = "Bearer ";
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) && header[Scheme.Length..].Trim() is { Length: > 0 } bearer)
        {
            return bearer;
        }
        return request.Cookies.TryGetValue(Cookie, out var cookie) && cookie.Length > 0 ? cookie : null;
    }
}
