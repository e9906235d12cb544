using OpenQA.Selenium.Chrome;

namespace Cluster.IntegrationTests.Dashboard;

/// <summary>
/// `cluster up --tokens FILE` with one worker process of the sample tasks (not `humanize`), and one
/// headless Chromium (Debian's chromium, driven through its chromedriver) signed in to the
/// coordinator's dashboard with an admin token. Both are shared by the dashboard's tests.
/// </summary>
public sealed class DashboardCluster : BrowserClusterFixture
{
    public DashboardCluster()
        : base(processes: 1, redis: false) => Grants = $"""
            admin dashboard {AdminToken}
            client viewer {ClientToken}
            """;

    /// <summary>The token of the identity "dashboard": admin only.</summary>
    public string AdminToken { get; } = NewToken();

    /// <summary>The token of the identity "viewer": a client, not an admin.</summary>
    public string ClientToken { get; } = NewToken();

    /// <summary>The browser, signed in; the page of the last navigation is open.</summary>
    public ChromeDriver Browser => Page.Driver;

    /// <summary>The dashboard's address.</summary>
    public Uri DashboardAddress => HttpAddress!;

    protected override Task StartedAsync()
    {
        SignIn(AdminToken);
        return Task.CompletedTask;
    }

    /// <summary>Opens the dashboard, signs in with <paramref name="token"/> when the sign-in form shows.</summary>
    public void SignIn(string token) => Page.Open(DashboardAddress, token);

    /// <summary>Waits until the page of the browser shows a pushed state (its badge says "live").</summary>
    public Task WaitUntilLiveAsync() => Page.WaitUntilLiveAsync();
}
