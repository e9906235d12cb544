using System.Reflection;
using Cluster.Coordinator.Internal.Store;
using Cluster.Protocol.V1;
using Microsoft.AspNetCore.Http;

namespace Cluster.Coordinator.Internal.Dashboard;

/// <summary>
/// The dashboard's requests, on the HTTP port or below the path an application maps it at
/// (<c>MapClusterDashboard</c>): the page (<c>GET /</c>), its script and style, the
/// pushed state (<c>GET /events</c>, server-sent events), a task by id (<c>GET /task?id=</c>), the
/// sign-in and sign-out forms, and the dead-letter actions (<c>POST /actions/requeue?id=</c>,
/// <c>POST /actions/requeue-name?name=</c>, <c>POST /actions/purge</c>), which need the page's anti-forgery token.
/// </summary>
internal sealed class DashboardEndpoints(DashboardFeed feed, DashboardAccess access, TaskStore store)
{
    private static readonly byte[] Script = Asset("dashboard.js");
    private static readonly byte[] Style = Asset("dashboard.css");

    /// <summary>Serves a request of the dashboard; false when the path is none of its own.</summary>
    /// <param name="context">The request.</param>
    /// <param name="basePath">Where the dashboard is mapped: "" on the coordinator's HTTP port, else e.g. "/cluster" (no trailing slash).</param>
    /// <param name="path">The request's path below <paramref name="basePath"/>, starting with '/'.</param>
    /// <param name="served">The response being written, when it is the dashboard's.</param>
    public bool TryServe(HttpContext context, string basePath, string path, out Task served)
    {
        var request = context.Request;
        served = (request.Method, path) switch
        {
            ("GET", "/") => PageAsync(context),
            ("GET", "/dashboard.js") => AssetAsync(context, Script, "text/javascript; charset=utf-8"),
            ("GET", "/dashboard.css") => AssetAsync(context, Style, "text/css; charset=utf-8"),
            ("GET", "/events") => EventsAsync(context),
            ("GET", "/task") => TaskAsync(context),
            ("POST", "/signin") => SignInAsync(context, basePath),
            ("POST", "/signout") => SignOutAsync(context, basePath),
            ("POST", "/actions/requeue") => RequeueAsync(context),
            ("POST", "/actions/requeue-name") => RequeueNameAsync(context),
            ("POST", "/actions/purge") => PurgeAsync(context),
            _ => null!,
        };
        return served is not null;
    }

    private Task PageAsync(HttpContext context)
    {
        if (!Allowed(context, out var refusal))
        {
            return DashboardPage.WriteSignInAsync(context, refusal);
        }
        return DashboardPage.WriteAsync(context, access.CsrfToken(context), access.SignInNeeded);
    }

    private static Task AssetAsync(HttpContext context, byte[] body, string type)
    {
        context.Response.ContentType = type;
        context.Response.Headers.CacheControl = "no-cache";
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private async Task EventsAsync(HttpContext context)
    {
        if (!Allowed(context, out var refusal))
        {
            await PlainAsync(context, refusal.Status, refusal.Message).ConfigureAwait(false);
            return;
        }
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        using var subscription = feed.Subscribe();
        try
        {
            await foreach (var state in subscription.States.ReadAllAsync(context.RequestAborted).ConfigureAwait(false))
            {
                await context.Response.Body.WriteAsync("data: "u8.ToArray(), context.RequestAborted).ConfigureAwait(false);
                await context.Response.Body.WriteAsync(state, context.RequestAborted).ConfigureAwait(false);
                await context.Response.Body.WriteAsync("\n\n"u8.ToArray(), context.RequestAborted).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The page closed.
        }
    }

    private async Task TaskAsync(HttpContext context)
    {
        if (Refused(context, action: false, out var id) is { } refusal)
        {
            await PlainAsync(context, refusal.Status, refusal.Message).ConfigureAwait(false);
            return;
        }
        var found = await store.DescribeAsync(id, DashboardJson.Preview).ConfigureAwait(false);
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(DashboardJson.Task(id, found), context.RequestAborted).ConfigureAwait(false);
    }

    private async Task SignInAsync(HttpContext context, string basePath)
    {
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false) : null;
        var token = form?["token"].ToString().Trim();
        switch (access.Check(token, out var identity))
        {
            case DashboardAccess.Verdict.Allowed:
                if (access.SignInNeeded)
                {
                    context.Response.Cookies.Append(DashboardAccess.Cookie, token!, DashboardAccess.CookieOptions(context, basePath));
                }
                context.Response.StatusCode = StatusCodes.Status303SeeOther;
                context.Response.Headers.Location = basePath + "/";
                return;
            case DashboardAccess.Verdict.Forbidden:
                await DashboardPage.WriteSignInAsync(context, new Refusal(StatusCodes.Status403Forbidden, $"Identity '{identity}' lacks the 'admin' role the dashboard needs.")).ConfigureAwait(false);
                return;
            default:
                await DashboardPage.WriteSignInAsync(context, new Refusal(StatusCodes.Status401Unauthorized, "No grant of the coordinator's tokens file holds that token.")).ConfigureAwait(false);
                return;
        }
    }

    private static Task SignOutAsync(HttpContext context, string basePath)
    {
        context.Response.Cookies.Delete(DashboardAccess.Cookie, DashboardAccess.CookieOptions(context, basePath));
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = basePath + "/";
        return Task.CompletedTask;
    }

    private async Task RequeueAsync(HttpContext context)
    {
        if (Refused(context, action: true, out var id) is { } refusal)
        {
            await PlainAsync(context, refusal.Status, refusal.Message).ConfigureAwait(false);
            return;
        }
        var reply = await store.DeadLettersAsync(new DeadLettersRequest { Requeue = id }).ConfigureAwait(false);
        feed.LettersChanged();
        await PlainAsync(context, reply.Requeued > 0 ? StatusCodes.Status200OK : StatusCodes.Status404NotFound,
            reply.Requeued > 0 ? $"Requeued {id}." : $"No dead letter {id}.").ConfigureAwait(false);
    }

    private async Task RequeueNameAsync(HttpContext context)
    {
        if (!ActionAllowed(context, out var refusal))
        {
            await PlainAsync(context, refusal.Status, refusal.Message).ConfigureAwait(false);
            return;
        }
        var name = context.Request.Query["name"].ToString();
        if (Validation.Identifier("task name", name) is { } problem)
        {
            await PlainAsync(context, StatusCodes.Status400BadRequest, problem).ConfigureAwait(false);
            return;
        }
        var requeued = await store.RequeueNameAsync(name).ConfigureAwait(false);
        feed.LettersChanged();
        await PlainAsync(context, StatusCodes.Status200OK, $"Requeued {requeued} dead letters of {name}.").ConfigureAwait(false);
    }

    private async Task PurgeAsync(HttpContext context)
    {
        if (!ActionAllowed(context, out var refusal))
        {
            await PlainAsync(context, refusal.Status, refusal.Message).ConfigureAwait(false);
            return;
        }
        var reply = await store.DeadLettersAsync(new DeadLettersRequest { Purge = true }).ConfigureAwait(false);
        feed.LettersChanged();
        await PlainAsync(context, StatusCodes.Status200OK, $"Purged {reply.Purged} dead letters.").ConfigureAwait(false);
    }

    /// <summary>Why a request about one task (its <c>id</c> in the query) is refused; null when it may go on.</summary>
    private Refusal? Refused(HttpContext context, bool action, out string id)
    {
        id = context.Request.Query["id"].ToString();
        if (!(action ? ActionAllowed(context, out var refusal) : Allowed(context, out refusal)))
        {
            return refusal;
        }
        return Validation.StoredIdentifier("task id", id) is { } problem ? new Refusal(StatusCodes.Status400BadRequest, problem) : null;
    }

    private bool ActionAllowed(HttpContext context, out Refusal refusal)
    {
        if (!Allowed(context, out refusal))
        {
            return false;
        }
        if (!access.CsrfValid(context))
        {
            refusal = new Refusal(StatusCodes.Status403Forbidden, $"An action needs the anti-forgery token of a page this port served, in the header {DashboardAccess.CsrfHeader}: reload the page.");
            return false;
        }
        return true;
    }

    private bool Allowed(HttpContext context, out Refusal refusal)
    {
        switch (access.Check(context, out var identity))
        {
            case DashboardAccess.Verdict.Allowed:
                refusal = default;
                return true;
            case DashboardAccess.Verdict.Forbidden:
                refusal = new Refusal(StatusCodes.Status403Forbidden, $"Identity '{identity}' lacks the 'admin' role the dashboard needs.");
                return false;
            default:
                refusal = new Refusal(StatusCodes.Status401Unauthorized, "The dashboard needs an admin token of the coordinator's tokens file: sign in.");
                return false;
        }
    }

    private static Task PlainAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message + "\n");
    }

    private static byte[] Asset(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Cluster.Coordinator.Dashboard." + name)
            ?? throw new InvalidOperationException($"The dashboard's {name} is not embedded in the coordinator's assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Why a request is refused: its HTTP status and a message a person can act on.</summary>
    public readonly record struct Refusal(int Status, string Message);
}
