using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Dashboard;

/// <summary>
/// Two coordinators on one redis-server: `cluster up` (coordinator A, with one worker process of the
/// sample tasks connected to it) and a second `cluster coordinator` (B, no worker, its own HTTP
/// port), and a headless Chromium for B's dashboard.
/// </summary>
public sealed class TwoCoordinatorDashboard() : BrowserClusterFixture(processes: 1, redis: true)
{
    private ChildProcess? _second;

    /// <summary>Coordinator B's dashboard.</summary>
    public Uri SecondDashboard { get; private set; } = null!;

    protected override async Task StartedAsync()
    {
        _second = ChildProcess.StartCluster("coordinator", "--port", "0", "--http-port", "0", "--redis", RedisAddress!);
        await _second.WaitForOutputAsync(@"Coordinator listening on (\S+)", TimeSpan.FromSeconds(90));
        SecondDashboard = new Uri((await _second.WaitForOutputAsync(@"Dashboard at (\S+)", TimeSpan.FromSeconds(30))).Groups[1].Value);
    }

    protected override async Task StoppingAsync()
    {
        if (_second is not null)
        {
            await _second.DisposeAsync();
        }
    }
}
