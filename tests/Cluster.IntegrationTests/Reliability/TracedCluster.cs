using Cluster.Contracts;
using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Reliability;

/// <summary>
/// Two worker processes on the embedded store, every process of the cluster tracing its hops
/// (<c>CLUSTER_HOP_TRACE</c>) into a directory of its own: a test counts how many times each
/// task began a run on the workers, which no future can say.
/// </summary>
public sealed class TracedCluster : ClusterFixture, IAsyncLifetime
{
    private readonly string _directory;

    public TracedCluster()
        : this(Path.Combine(Path.GetTempPath(), "cluster-test-trace-" + Guid.NewGuid().ToString("N")[..10]))
    {
    }

    private TracedCluster(string directory)
        : base(processes: 2, redis: false)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
        Environment = new Dictionary<string, string> { [HopTrace.EnvironmentVariable] = directory };
    }

    /// <summary>How many runs each task began on the workers so far (every <c>worker.started</c> mark), by task id.</summary>
    public IReadOnlyDictionary<string, int> Runs()
    {
        var runs = new Dictionary<string, int>();
        foreach (var file in Directory.EnumerateFiles(_directory, "hops.*.txt"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                var parts = line.Split(' ');
                if (parts.Length == 3 && parts[0] == "worker.started")
                {
                    runs[parts[1]] = runs.GetValueOrDefault(parts[1]) + 1;
                }
            }
        }
        return runs;
    }

    Task IAsyncLifetime.InitializeAsync() => InitializeAsync();

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
