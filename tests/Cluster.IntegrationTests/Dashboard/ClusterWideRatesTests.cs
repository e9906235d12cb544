using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Google.Protobuf;

namespace Cluster.IntegrationTests.Dashboard;

/// <summary>The Queues panel's rates are the whole cluster's: tasks through one coordinator show on another's page.</summary>
public sealed class ClusterWideRatesTests(TwoCoordinatorDashboard cluster) : IClassFixture<TwoCoordinatorDashboard>
{
    [SkippableFact]
    public async Task QueueRates_OfTasksSubmittedAndRunThroughCoordinatorA_ShowOnCoordinatorBsPage()
    {
        cluster.Require();
        cluster.Page.Open(cluster.SecondDashboard);
        await cluster.Page.WaitUntilLiveAsync();
        const int Count = 60;
        var marker = "c" + Guid.NewGuid().ToString("N")[..8];
        var request = new SubmitRequest { Session = "s" + marker };
        for (var i = 0; i < Count; i++)
        {
            request.Tasks.Add(new TaskSpec { Id = $"{marker}.{i}", Name = "add", Args = ByteString.CopyFromUtf8($"[{i}, 1]") });
        }
        var seen = (In: false, Out: false, Run: false);

        // Through coordinator A, run by A's worker: B takes no part but the page.
        Assert.Empty((await cluster.Tasks.SubmitAsync(request)).Rejected);

        await TaskTimeouts.Eventually(() =>
        {
            seen.In |= cluster.Page.Number(DashboardBrowser.QueueCell("add", "in")) > 0;
            seen.Out |= cluster.Page.Number(DashboardBrowser.QueueCell("add", "out")) > 0;
            seen.Run |= cluster.Page.Text(DashboardBrowser.QueueCell("add", "run")) is { } run && run.EndsWith('s') && run != "–";
            return Task.FromResult(seen is (true, true, true));
        }, "coordinator B's page shows add's rates in and out above 0 and its mean run time");
    }
}
