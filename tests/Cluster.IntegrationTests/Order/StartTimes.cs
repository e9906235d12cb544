using Cluster.Testing;

namespace Cluster.IntegrationTests.Order;

/// <summary>What the rate-limit tests read from the start times (Unix ms) of a name's tasks.</summary>
internal static class StartTimes
{
    /// <summary>The most of the sorted times (ms) within any window of <paramref name="ms"/>, wherever it starts.</summary>
    public static int MostWithin(long[] sorted, long ms)
    {
        var most = 0;
        for (int i = 0, j = 0; i < sorted.Length; i++)
        {
            while (sorted[i] - sorted[j] >= ms)
            {
                j++;
            }
            most = Math.Max(most, i - j + 1);
        }
        return most;
    }

    /// <summary>A worker process of one thread pool that listens only to <paramref name="queue"/>.</summary>
    public static ChildProcess StartWorker(Uri coordinator, string queue, int threads) =>
        ChildProcess.StartCluster("worker", "--coordinator", coordinator.ToString(), "--processes", "1", "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture), "--queues", queue);
}
