using System.Collections.Concurrent;
using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Reliability;

/// <summary>
/// The coordinator killed mid-run (kill -9): clients and workers reconnect, and every accepted
/// task still resolves exactly once with the right result.
/// </summary>
public sealed class CoordinatorFaultTests
{
    private const int Tasks = 2000;

    [SkippableFact]
    public async Task CoordinatorKilledAndRestarted_NothingIsLostOrResolvedTwice()
    {
        Requirements.Require(RedisServer.Missing);
        await using var redis = await RedisServer.StartAsync("always");
        var port = RedisServer.FreeLoopbackPort();
        var address = $"http://127.0.0.1:{port}";
        var coordinator = await StartCoordinatorAsync(port, "--redis", redis.Address);
        await using var worker = ChildProcess.StartCluster("worker", "--coordinator", address, "--processes", "1");
        try
        {
            await using var executor = new ClusterExecutor(address);
            var (futures, resolutions) = SubmitCounted(executor);
            await TaskTimeouts.Eventually(() => Task.FromResult(futures.Count(f => f.Done) >= 200), "200 tasks are done");

            ChildProcess.Signal(coordinator.Id, 9);
            await coordinator.WaitForExitAsync(TimeSpan.FromSeconds(30));
            await coordinator.DisposeAsync();
            // Submitted while no coordinator answers: tried (the submit stream cannot open), then sent once it is back.
            var attempts = executor.SubmitCalls;
            var whileDown = Enumerable.Range(0, 20).Select(i => executor.Submit<long>("add", i, 1)).ToList();
            await TaskTimeouts.Eventually(() => Task.FromResult(executor.SubmitCalls >= attempts + 2), "a submit was tried twice while the coordinator was down");
            coordinator = await StartCoordinatorAsync(port, "--redis", redis.Address);

            await AssertAllResolvedOnceAsync(futures, resolutions);
            Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), await Task.WhenAll(whileDown.Select(f => f.AsTask())).WithTimeout(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            await coordinator.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task OneOfTwoCoordinatorsKilled_TheClientMovesToTheOther_NothingIsLostOrResolvedTwice()
    {
        Requirements.Require(RedisServer.Missing);
        await using var redis = await RedisServer.StartAsync();
        var (portA, portB) = (RedisServer.FreeLoopbackPort(), RedisServer.FreeLoopbackPort());
        var a = await StartCoordinatorAsync(portA, "--redis", redis.Address);
        await using var b = await StartCoordinatorAsync(portB, "--redis", redis.Address);
        await using var worker = ChildProcess.StartCluster("worker", "--coordinator", $"http://127.0.0.1:{portB}", "--processes", "1");
        try
        {
            await using var executor = new ClusterExecutor([$"http://127.0.0.1:{portA}", $"http://127.0.0.1:{portB}"]);
            var (futures, resolutions) = SubmitCounted(executor);
            await TaskTimeouts.Eventually(() => Task.FromResult(futures.Count(f => f.Done) >= 200), "200 tasks are done");

            ChildProcess.Signal(a.Id, 9);

            await AssertAllResolvedOnceAsync(futures, resolutions);
        }
        finally
        {
            await a.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task SigtermOnACoordinator_StopsItCleanly_AndItsWorkersAndClientsMoveToTheOther()
    {
        Requirements.Require(RedisServer.Missing);
        await using var redis = await RedisServer.StartAsync();
        var (portA, portB) = (RedisServer.FreeLoopbackPort(), RedisServer.FreeLoopbackPort());
        var (urlA, urlB) = ($"http://127.0.0.1:{portA}", $"http://127.0.0.1:{portB}");
        var a = await StartCoordinatorAsync(portA, "--redis", redis.Address);
        await using var b = await StartCoordinatorAsync(portB, "--redis", redis.Address);
        await using var worker = ChildProcess.StartCluster("worker", "--coordinator", urlA, "--coordinator", urlB, "--processes", "1");
        try
        {
            await using var executor = new ClusterExecutor([urlA, urlB]);
            var (futures, resolutions) = SubmitCounted(executor);
            await TaskTimeouts.Eventually(() => Task.FromResult(futures.Count(f => f.Done) >= 200), "200 tasks are done");

            a.Terminate();

            Assert.Equal(0, await a.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("Coordinator stopping.", a.Output, StringComparison.Ordinal);
            await AssertAllResolvedOnceAsync(futures, resolutions);
        }
        finally
        {
            await a.DisposeAsync();
        }
    }

    private static async Task<ChildProcess> StartCoordinatorAsync(int port, params string[] store)
    {
        var process = ChildProcess.StartCluster(["coordinator", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. store]);
        await process.WaitForOutputAsync("Coordinator listening on", TimeSpan.FromSeconds(60));
        return process;
    }

    private static (List<ClusterFuture<long>> Futures, ConcurrentDictionary<string, int> Resolutions) SubmitCounted(ClusterExecutor executor)
    {
        var resolutions = new ConcurrentDictionary<string, int>();
        var futures = new List<ClusterFuture<long>>(Tasks);
        for (var i = 0; i < Tasks; i++)
        {
            var future = executor.Submit<long>("spin", 1);
            future.AddDoneCallback(f => resolutions.AddOrUpdate(f.Id, 1, (_, n) => n + 1));
            futures.Add(future);
        }
        return (futures, resolutions);
    }

    private static async Task AssertAllResolvedOnceAsync(List<ClusterFuture<long>> futures, ConcurrentDictionary<string, int> resolutions)
    {
        var results = await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout(TimeSpan.FromSeconds(120));
        Assert.All(results, r => Assert.Equal(1L, r));
        await TaskTimeouts.Eventually(() => Task.FromResult(resolutions.Count == Tasks), "every done-callback ran");
        Assert.All(resolutions.Values, n => Assert.Equal(1, n));
    }
}
