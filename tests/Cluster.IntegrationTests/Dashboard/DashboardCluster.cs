using Cluster.IntegrationTests.Infrastructure;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Cluster.IntegrationTests.Dashboard;

/// <summary>
/// `cluster up --tokens FILE` with one worker process of the sample tasks (not `humanize`), and one
/// headless Chromium (Debian's chromium, driven through its chromedriver) signed in to the
/// coordinator's dashboard with an admin token. Both are shared by the dashboard's tests.
/// </summary>
public sealed class DashboardCluster : ClusterFixture, IAsyncLifetime
{
    private ChromeDriver? _browser;

    public DashboardCluster()
        : base(processes: 1, redis: false) => Grants = $"""
            admin dashboard {AdminToken}
            client viewer {ClientToken}
            """;

    /// <summary>The token of the identity "dashboard": admin only.</summary>
    public string AdminToken { get; } = NewToken();

    /// <summary>The token of the identity "viewer": a client, not an admin.</summary>
    public string ClientToken { get; } = NewToken();

    /// <summary>Why the browser cannot run (chromium or chromedriver not installed); null when it runs.</summary>
    public string? BrowserMissing { get; private set; }

    /// <summary>The browser, signed in; the page of the last navigation is open.</summary>
    public ChromeDriver Browser => _browser ?? throw new InvalidOperationException(BrowserMissing ?? "The browser has not started.");

    /// <summary>The dashboard's address.</summary>
    public Uri DashboardAddress => HttpAddress!;

    /// <summary>Skips (or fails, in CI) when the cluster or the browser cannot run.</summary>
    public new void Require()
    {
        base.Require();
        Requirements.Require(BrowserMissing);
    }

    async Task IAsyncLifetime.InitializeAsync()
    {
        var chromium = ProgramPath.Find("chromium");
        var driver = ProgramPath.Find("chromedriver");
        if (chromium is null || driver is null)
        {
            BrowserMissing = "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)";
            return;
        }
        await InitializeAsync();
        if (Missing is not null)
        {
            return;
        }
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driver)!, Path.GetFileName(driver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000");
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        _browser = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        SignIn(AdminToken);
    }

    /// <summary>Opens the dashboard, signs in with <paramref name="token"/> when the sign-in form shows.</summary>
    public void SignIn(string token)
    {
        Browser.Navigate().GoToUrl(DashboardAddress);
        if (Browser.FindElements(By.Id("token")).Count > 0)
        {
            Browser.FindElement(By.Id("token")).SendKeys(token);
            Browser.FindElement(By.Id("signin")).Click();
        }
    }

    /// <summary>Waits until the page of the browser shows a pushed state (its badge says "live").</summary>
    public Task WaitUntilLiveAsync() =>
        TaskTimeouts.Eventually(() => Task.FromResult(Browser.FindElements(By.Id("live")).FirstOrDefault()?.Text == "live"), "the dashboard is live");

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (_browser is not null)
        {
            // Ends the browser and its driver process.
            _browser.Quit();
            _browser.Dispose();
        }
        await DisposeAsync();
    }
}
