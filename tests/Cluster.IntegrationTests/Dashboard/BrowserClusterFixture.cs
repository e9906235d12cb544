using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Dashboard;

/// <summary>A <see cref="ClusterFixture"/> with one headless Chromium for its dashboard tests, ended with it.</summary>
public abstract class BrowserClusterFixture : ClusterFixture, IAsyncLifetime
{
    private DashboardBrowser? _browser;

    /// <inheritdoc cref="ClusterFixture(int, bool, string[])"/>
    protected BrowserClusterFixture(int processes, bool redis, params string[] extraArguments)
        : base(processes, redis, extraArguments)
    {
    }

    /// <summary>Why the browser cannot run (chromium or chromedriver not installed); null when it runs.</summary>
    public string? BrowserMissing { get; private set; }

    /// <summary>The browser and the helpers that read its page.</summary>
    public DashboardBrowser Page => _browser ?? throw new InvalidOperationException(BrowserMissing ?? Missing ?? "The browser has not started.");

    /// <summary>Skips (or fails, in CI) when the cluster or the browser cannot run.</summary>
    public new void Require()
    {
        base.Require();
        Requirements.Require(BrowserMissing);
    }

    /// <summary>What the fixture starts or does once the cluster and the browser run.</summary>
    protected virtual Task StartedAsync() => Task.CompletedTask;

    /// <summary>What the fixture stops before the cluster.</summary>
    protected virtual Task StoppingAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.InitializeAsync()
    {
        BrowserMissing = DashboardBrowser.Missing;
        if (BrowserMissing is not null)
        {
            return;
        }
        await InitializeAsync();
        if (Missing is not null)
        {
            return;
        }
        _browser = DashboardBrowser.Start();
        await StartedAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        _browser?.Dispose();
        await StoppingAsync();
        await DisposeAsync();
    }
}
