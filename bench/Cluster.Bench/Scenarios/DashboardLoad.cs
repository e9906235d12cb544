using Cluster.Bench.Infrastructure;
using Cluster.Client;
using static Cluster.Bench.Scenarios.Common;

namespace Cluster.Bench.Scenarios;

/// <summary>The coordinator's CPU with its dashboard closed, open in a browser, and open in many pages, on a queued backlog.</summary>
internal static class DashboardLoad
{
    public const string Title = "`cluster coordinator` alone (no worker) with N `add` tasks queued; the coordinator's CPU (user + system, /proc) over a " +
        "window with no dashboard page open, with the dashboard open in a headless Chromium, and with 20 more pages (server-sent-event " +
        "streams read by this process) open beside it. The browser's own CPU is its own process's, not counted.";

    /// <summary>The length of each measured window.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(BenchOptions options, StoreKind store, ScenarioResult result)
    {
        var n = options.Tasks ?? 100_000;
        result.Parameters["tasks queued"] = n;
        result.Parameters["measured window"] = $"{Window.TotalSeconds:0} s each";

        Log($"dashboard/{Name(store)}: starting cluster coordinator (no workers)");
        await using var deployment = await Deployment.CoordinatorAsync(store);
        var coordinator = deployment.Coordinator.Id;
        var executor = new ClusterExecutor(deployment.Address.ToString());
        try
        {
            Log($"dashboard/{Name(store)}: queueing {n:N0} tasks");
            for (var i = 0; i < n; i++)
            {
                _ = executor.Submit<long>("add", i, 1);
            }
            await Backlog.WaitQueuedAsync(deployment, n, options.Timeout);
            await Task.Delay(3000);

            Log($"dashboard/{Name(store)}: no page open");
            var closed = await CpuAsync(coordinator);
            result.Add("coordinator CPU, no page open", closed, "% of a core", "0.00");

            using var browser = Browser.Start();
            await browser.OpenAsync(deployment.DashboardAddress);
            await Task.Delay(3000);
            Log($"dashboard/{Name(store)}: the dashboard open in Chromium");
            var open = await CpuAsync(coordinator);
            result.Add("coordinator CPU, the dashboard open in Chromium", open, "% of a core", "0.00");
            result.Add("rise with the page open", open - closed, "% of a core", "0.00", "≤ a few %", v => v <= 3);

            using var pages = new CancellationTokenSource();
            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            var bytes = new long[20];
            var readers = Enumerable.Range(0, bytes.Length).Select(i => ReadEventsAsync(http, new Uri(deployment.DashboardAddress, "events"), b => bytes[i] += b, pages.Token)).ToList();
            await Task.Delay(3000);
            Log($"dashboard/{Name(store)}: Chromium and {bytes.Length} more pages open");
            var before = bytes.Sum();
            var many = await CpuAsync(coordinator);
            var pushed = bytes.Sum() - before;
            result.Add($"coordinator CPU, Chromium and {bytes.Length} more pages open", many, "% of a core", "0.00");
            result.Add("rise with 21 pages open", many - closed, "% of a core", "0.00", "≤ a few %", v => v <= 3);
            result.Add("bytes pushed per page per second", pushed / (double)bytes.Length / Window.TotalSeconds, "bytes/s", "N0");
            await pages.CancelAsync();
            await Task.WhenAll(readers);
        }
        finally
        {
            await CloseAsync(executor);
        }
    }

    /// <summary>The coordinator's CPU over one window, in % of one core.</summary>
    private static async Task<double> CpuAsync(int pid)
    {
        var start = ProcFs.CpuSeconds(pid) ?? throw new BenchException("The coordinator is gone.");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(Window);
        var end = ProcFs.CpuSeconds(pid) ?? throw new BenchException("The coordinator is gone.");
        return (end - start) / watch.Elapsed.TotalSeconds * 100;
    }

    /// <summary>One more page: reads the dashboard's event stream until cancelled, counting its bytes.</summary>
    private static async Task ReadEventsAsync(HttpClient http, Uri events, Action<long> received, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(events, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                received(read);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
