using Cluster.Client;

namespace Cluster.IntegrationTests.Client;

/// <summary>An executor checks its options when it is created, with a message that names the setting.</summary>
public sealed class ExecutorOptionsTests
{
    public static TheoryData<string, ClusterExecutorOptions> OutOfRange => new()
    {
        // 0 made the submit loop spin without sending anything.
        { "MaxBatchTasks", new ClusterExecutorOptions { MaxBatchTasks = 0 } },
        // 0 made every submit wait for ever.
        { "MaxBatchesInFlight", new ClusterExecutorOptions { MaxBatchesInFlight = 0 } },
        { "MaxBatchBytes", new ClusterExecutorOptions { MaxBatchBytes = -1 } },
        // A batch over half of a 4 MiB message could not leave room for its ids and names.
        { "MaxBatchBytes", new ClusterExecutorOptions { MaxBatchBytes = 3 * 1024 * 1024 } },
        { "MaxPendingBytes", new ClusterExecutorOptions { MaxPendingBytes = 0 } },
        { "UnavailableTimeout", new ClusterExecutorOptions { UnavailableTimeout = TimeSpan.Zero } },
        { "UnavailableTimeout", new ClusterExecutorOptions { UnavailableTimeout = TimeSpan.FromSeconds(-5) } },
        { "WhenQueueFull", new ClusterExecutorOptions { WhenQueueFull = (QueueFullBehavior)7 } },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void Executor_RefusesAnOptionOutOfRange_NamingIt(string setting, ClusterExecutorOptions options)
    {
        var error = Assert.Throws<ArgumentException>(() => new ClusterExecutor("http://127.0.0.1:5050", options));

        Assert.Contains($"ClusterExecutorOptions.{setting}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Executor_TakesAnInfiniteUnavailableTimeout()
    {
        using var executor = new ClusterExecutor(DeadCoordinator.Address(), new ClusterExecutorOptions { UnavailableTimeout = Timeout.InfiniteTimeSpan });

        Assert.Equal(0, executor.PendingCount);
    }
}
