using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Cluster.Bench.Infrastructure;

/// <summary>A headless Chromium (Debian's chromium and chromedriver, on PATH) showing a coordinator's dashboard.</summary>
internal sealed class Browser : IDisposable
{
    private readonly ChromeDriver _driver;

    private Browser(ChromeDriver driver) => _driver = driver;

    /// <summary>Starts the browser with a window of <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    public static Browser Start(int width = 1280, int height = 1000)
    {
        var chromium = ProgramPath.Find("chromium") ?? throw new BenchException("chromium is not installed (apt-get install chromium chromium-driver).");
        var driver = ProgramPath.Find("chromedriver") ?? throw new BenchException("chromedriver is not installed (apt-get install chromium-driver).");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driver)!, Path.GetFileName(driver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", $"--window-size={width},{height}", "--hide-scrollbars");
        return new Browser(new ChromeDriver(service, options, TimeSpan.FromSeconds(60)));
    }

    /// <summary>Opens the dashboard and waits until it shows a pushed state.</summary>
    public async Task OpenAsync(Uri dashboard)
    {
        _driver.Navigate().GoToUrl(dashboard);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_driver.FindElements(By.Id("live")).FirstOrDefault()?.Text != "live")
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new BenchException($"The dashboard at {dashboard} did not go live within 30 s.");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Saves a PNG of the whole page (the window grown to the page's height).</summary>
    public void Screenshot(string path, int width)
    {
        var height = Convert.ToInt32(_driver.ExecuteScript("return document.documentElement.scrollHeight;"), System.Globalization.CultureInfo.InvariantCulture);
        _driver.Manage().Window.Size = new System.Drawing.Size(width, height);
        _driver.GetScreenshot().SaveAsFile(path);
    }

    /// <summary>Ends the browser and its driver.</summary>
    public void Dispose()
    {
        _driver.Quit();
        _driver.Dispose();
    }
}
