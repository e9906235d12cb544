using Cluster.IntegrationTests.Infrastructure;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Cluster.IntegrationTests.Dashboard;

/// <summary>
/// One headless Chromium (Debian's chromium, driven through its chromedriver) for a dashboard's
/// tests: started by a fixture, ended (browser and driver process) when the fixture ends.
/// </summary>
public sealed class DashboardBrowser : IDisposable
{
    private DashboardBrowser(ChromeDriver driver) => Driver = driver;

    /// <summary>Why the browser cannot run (chromium or chromedriver not installed); null when it can.</summary>
    public static string? Missing =>
        ProgramPath.Find("chromium") is null || ProgramPath.Find("chromedriver") is null
            ? "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
            : null;

    /// <summary>The browser; the page of the last navigation is open.</summary>
    public ChromeDriver Driver { get; }

    /// <summary>Starts the browser (check <see cref="Missing"/> first).</summary>
    public static DashboardBrowser Start()
    {
        var chromium = ProgramPath.Find("chromium")!;
        var driver = ProgramPath.Find("chromedriver")!;
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driver)!, Path.GetFileName(driver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000");
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        return new DashboardBrowser(new ChromeDriver(service, options, TimeSpan.FromSeconds(60)));
    }

    /// <summary>Opens the dashboard at <paramref name="address"/>, signs in with <paramref name="token"/> when the sign-in form shows.</summary>
    public void Open(Uri address, string? token = null)
    {
        Driver.Navigate().GoToUrl(address);
        if (token is not null && Driver.FindElements(By.Id("token")).Count > 0)
        {
            Driver.FindElement(By.Id("token")).SendKeys(token);
            Driver.FindElement(By.Id("signin")).Click();
        }
    }

    /// <summary>Waits until the page shows a pushed state (its badge says "live").</summary>
    public Task WaitUntilLiveAsync() =>
        TaskTimeouts.Eventually(() => Task.FromResult(Text("#live")?.Trim() == "live"), "the dashboard is live");

    /// <summary>The text of the first element <paramref name="selector"/> finds, read at once; null when none.</summary>
    public string? Text(string selector) =>
        (string?)Driver.ExecuteScript("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", selector);

    /// <summary>A number the page shows in the element <paramref name="selector"/> finds (thousands separated by commas); null when it shows none.</summary>
    public double? Number(string selector) =>
        double.TryParse(Text(selector)?.Replace(",", string.Empty, StringComparison.Ordinal), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>A task name's row of the queues table, as a selector of its cells (e.g. <c>QueueCell("add", "in")</c>).</summary>
    public static string QueueCell(string name, string cell) => $"#queues tbody tr[data-name='{name}'] td.{cell}";

    /// <inheritdoc />
    public void Dispose()
    {
        // Ends the browser and its driver process.
        Driver.Quit();
        Driver.Dispose();
    }
}
