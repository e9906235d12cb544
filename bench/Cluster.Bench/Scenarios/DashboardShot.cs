using Cluster.Bench.Infrastructure;
using Cluster.Client;
using Cluster.Contracts;
using static Cluster.Bench.Scenarios.Common;

namespace Cluster.Bench.Scenarios;

/// <summary>A busy cluster's dashboard, photographed for the README (docs/dashboard.png).</summary>
internal static class DashboardShot
{
    public const string Title = "`cluster up` with 2 worker processes under a steady mix (sleep and fib tasks, a few that fail into the dead letters, " +
        "a backlog of a task name no worker serves); after 45 s with the dashboard open in a headless Chromium, a screenshot of the page.";

    private static readonly TimeSpan Busy = TimeSpan.FromSeconds(45);

    public static async Task RunAsync(BenchOptions options, StoreKind store, ScenarioResult result)
    {
        var path = Path.GetFullPath(options.Png ?? Path.Combine(RepositoryRoot(), "docs", "dashboard.png"));
        result.Parameters["screenshot"] = path;
        Log($"screenshot/{Name(store)}: starting cluster up");
        await using var deployment = await Deployment.UpAsync(store, processes: 2);
        var executor = new ClusterExecutor(deployment.Address.ToString());
        using var stop = new CancellationTokenSource();
        try
        {
            using var browser = Browser.Start(width: 1280, height: 900);
            await browser.OpenAsync(deployment.DashboardAddress);

            // A backlog no worker serves: flagged on the page.
            for (var i = 0; i < 2_500; i++)
            {
                _ = executor.Submit<string>("report.render", $"report-{i}");
            }
            // A few failures, with one attempt each: the dead letters.
            var once = new TaskPolicy { MaxAttempts = 1, RetryOn = ["*"] };
            string[] reasons = ["the upstream price feed timed out", "invoice 4711 has no customer", "disk quota exceeded while writing export"];
            for (var i = 0; i < 6; i++)
            {
                _ = executor.Submit<int>(once, "fail", reasons[i % reasons.Length]);
            }
            var load = SteadyLoadAsync(executor, stop.Token);
            Log($"screenshot/{Name(store)}: busy for {Busy.TotalSeconds:0} s with the page open");
            await Task.Delay(Busy);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            browser.Screenshot(path, width: 1280);
            await stop.CancelAsync();
            await load;
            result.Add("screenshot bytes", new FileInfo(path).Length, "bytes", "N0");
            Log($"screenshot/{Name(store)}: wrote {path}");
        }
        finally
        {
            await CloseAsync(executor);
        }
    }

    /// <summary>A changing load: sleeps of a quarter second and small fibs, heavier in waves.</summary>
    private static async Task SteadyLoadAsync(ClusterExecutor executor, CancellationToken cancellationToken)
    {
        var tick = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var wave = 60 + (int)(50 * Math.Sin(tick++ / 8.0));
            for (var i = 0; i < wave; i++)
            {
                _ = executor.Submit<double>("sleep", 0.25 + (i % 5) * 0.1);
                _ = executor.Submit<long>("fib", 18 + (i % 4));
            }
            try
            {
                await Task.Delay(250, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>The repository's root (where Cluster.sln is), from the working directory up; else the working directory.</summary>
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
            {
                return dir.FullName;
            }
        }
        return Environment.CurrentDirectory;
    }
}
