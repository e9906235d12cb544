using System.Net;
using Microsoft.AspNetCore.Http;

namespace Cluster.Coordinator.Internal.Dashboard;

/// <summary>
/// The dashboard's HTML, rendered here: the page's frame (its script fills the figures from the
/// pushed state), and the sign-in form. Scripts and styles only from this port (a content security
/// policy says so), nothing from the internet.
/// </summary>
internal static class DashboardPage
{
    private const string Policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>The dashboard page, carrying its anti-forgery token for the script's actions.</summary>
    public static Task WriteAsync(HttpContext context, string csrf, bool signedIn)
    {
        var signOut = signedIn
            ? """<form method="post" action="signout"><button type="submit" class="quiet">Sign out</button></form>"""
            : string.Empty;
        var body = $$"""
            <header>
              <h1>Cluster</h1>
              <span id="store" class="muted"></span>
              <span id="live" class="badge">connecting…</span>
              {{signOut}}
            </header>
            <main>
              <section id="overview" aria-label="Overview">
                <div class="cards">
                  <div class="card"><span class="label">Queued</span><span class="value" id="t-queued">–</span></div>
                  <div class="card"><span class="label">Running</span><span class="value" id="t-running">–</span></div>
                  <div class="card"><span class="label">Workers</span><span class="value" id="t-workers">–</span></div>
                  <div class="card"><span class="label">Dead letters</span><span class="value" id="t-dead">–</span></div>
                  <div class="card" title="Tasks stored per second, the whole cluster, over the last 5 s"><span class="label">Submitted/s</span><span class="value" id="t-submitted">–</span></div>
                  <div class="card" title="Tasks completed with a value per second, the whole cluster, over the last 5 s"><span class="label">Completed/s</span><span class="value" id="t-completed">–</span></div>
                  <div class="card" title="Runs that failed per second (retried or not), the whole cluster, over the last 5 s"><span class="label">Failed/s</span><span class="value" id="t-failed">–</span></div>
                  <div class="card" title="Submit to completion of the tasks sampled (one in 16) that finished in the last minute"><span class="label">Latency p50/p99</span><span class="value" id="t-latency">–</span></div>
                  <div class="card" title="Lease sent to result received, mean of the runs that ended in the last 10-20 s, the whole cluster"><span class="label">Mean run</span><span class="value" id="t-run">–</span></div>
                </div>
                <div class="charts">
                  <figure><figcaption>Tasks per second, whole cluster (up to the last 5 minutes)</figcaption><svg id="chart-rate" viewBox="0 0 300 80" preserveAspectRatio="none" role="img" aria-label="tasks per second"></svg>
                    <div class="legend"><span class="k1">submitted</span> <span class="k2">completed</span> <span class="k3">failed</span></div></figure>
                  <figure><figcaption>Queued and running (since the page opened, up to 5 minutes)</figcaption><svg id="chart-depth" viewBox="0 0 300 80" preserveAspectRatio="none" role="img" aria-label="queued and running"></svg>
                    <div class="legend"><span class="k1">queued</span> <span class="k2">running</span></div></figure>
                </div>
              </section>
              <section aria-label="Queues">
                <h2>Queues</h2>
                <table id="queues"><thead><tr><th>Task name</th><th class="n">Depth</th><th class="n" title="tasks submitted per second, the whole cluster, over the last 10-20 s">In/s</th><th class="n" title="tasks finished per second (a value, a final error, a dead letter, a cancellation), the whole cluster, over the last 10-20 s">Out/s</th><th class="n" title="lease sent to result received, mean of the runs that ended in the last 10-20 s, the whole cluster">Mean run</th><th class="n" title="queue depth change per second">Change/s</th><th>Served</th></tr></thead><tbody></tbody></table>
                <p class="empty" id="queues-empty" hidden>No task names with work.</p>
              </section>
              <section aria-label="Workers">
                <h2>Workers</h2>
                <table id="workers"><thead><tr><th>Host</th><th class="n">PID</th><th>Version</th><th class="n">Running</th><th class="n" title="threads busy / threads">Threads</th><th class="n" title="coroutines in flight / limit">Coroutines</th><th class="n">Heartbeat</th><th>Tasks</th><th>Id</th></tr></thead><tbody></tbody></table>
                <p class="empty" id="workers-empty" hidden>No worker is connected.</p>
              </section>
              <section aria-label="Failures">
                <h2>Failures by error type</h2>
                <table id="failures"><thead><tr><th>Error type</th><th class="n" title="failed runs, the whole cluster, last 5 minutes">Last 5 min</th><th class="n" title="among the dead letters shown">Dead letters</th><th>Example</th></tr></thead><tbody></tbody></table>
                <p class="empty" id="failures-empty" hidden>No failed runs in the last 5 minutes, none among the dead letters.</p>
              </section>
              <section aria-label="Schedules">
                <h2>Schedules</h2>
                <table id="schedules"><thead><tr><th>Schedule</th><th>Cron</th><th>Task</th><th title="UTC">Next run</th><th title="UTC">Last run</th><th>Last task</th></tr></thead><tbody></tbody></table>
                <p class="empty" id="schedules-empty" hidden>No recurring schedules.</p>
              </section>
              <section aria-label="Dead letters">
                <h2>Dead letters <button type="button" id="purge" class="danger">Purge all</button></h2>
                <div id="dead-names" class="actions"></div>
                <table id="dead"><thead><tr><th>Task</th><th>Name</th><th class="n">Attempts</th><th>Reason</th><th>Errors</th><th>Arguments</th><th></th></tr></thead><tbody></tbody></table>
                <p class="empty" id="dead-empty" hidden>No dead letters.</p>
                <p class="muted" id="dead-more" hidden></p>
              </section>
              <section aria-label="Task by id">
                <h2>Task by id</h2>
                <form id="lookup"><input id="lookup-id" name="id" placeholder="task id" autocomplete="off" required><button type="submit">Look up</button></form>
                <div id="task" hidden>
                  <dl id="task-facts"></dl>
                  <table id="task-attempts"><thead><tr><th class="n">Attempt</th><th>Worker</th><th>Error type</th><th>Message</th></tr></thead><tbody></tbody></table>
                  <p class="muted" id="task-attempts-empty" hidden>No failed attempt.</p>
                </div>
                <p id="task-message" class="error" hidden></p>
              </section>
              <p id="message" role="status"></p>
            </main>
            """;
        return WriteHtmlAsync(context, StatusCodes.Status200OK, body, csrf);
    }

    /// <summary>The sign-in form, with why the page was refused.</summary>
    public static Task WriteSignInAsync(HttpContext context, DashboardEndpoints.Refusal refusal)
    {
        var body = $"""
            <header><h1>Cluster</h1></header>
            <main class="signin">
              <p id="refused" class="error">{WebUtility.HtmlEncode(refusal.Message)}</p>
              <form method="post" action="signin">
                <label for="token">Admin token</label>
                <input id="token" name="token" type="password" autocomplete="current-password" required>
                <button type="submit" id="signin">Sign in</button>
              </form>
            </main>
            """;
        return WriteHtmlAsync(context, refusal.Status, body, csrf: null);
    }

    private static Task WriteHtmlAsync(HttpContext context, int status, string body, string? csrf)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers.ContentSecurityPolicy = Policy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        var meta = csrf is null ? string.Empty : $"""<meta name="csrf" content="{csrf}">""";
        var script = csrf is null ? string.Empty : """<script src="dashboard.js" defer></script>""";
        return response.WriteAsync($"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="color-scheme" content="light dark">
            {meta}
            <title>Cluster</title>
            <link rel="icon" href="data:,">
            <link rel="stylesheet" href="dashboard.css">
            {script}
            </head>
            <body>
            {body}
            </body>
            </html>
            """);
    }
}
