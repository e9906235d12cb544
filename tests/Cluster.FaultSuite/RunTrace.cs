using System.Globalization;
using Cluster.Contracts;

namespace Cluster.FaultSuite;

/// <summary>
/// The hop trace of one scenario (<see cref="HopTrace"/>, <c>CLUSTER_HOP_TRACE</c>): the worker
/// processes are started with it set, and this process (the client) traces into the same
/// directory while the scenario runs. Read at the end, it says what no future can: every
/// completion the client read off its stream before it de-duplicates them, and every run that
/// began on a worker, with the process it ran in.
/// </summary>
internal sealed class RunTrace : IDisposable
{
    private RunTrace(string directory) => Directory = directory;

    public string Directory { get; }

    /// <summary>Keep each scenario's trace (<c>--keep-trace</c>) and print where, to look into a failure.</summary>
    public static bool Keep { get; set; }

    /// <summary>The environment a traced worker daemon is started with (its worker processes inherit it).</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { [HopTrace.EnvironmentVariable] = Directory };

    /// <summary>Starts tracing this process into a new directory.</summary>
    public static RunTrace Start()
    {
        var directory = Path.Combine(Path.GetTempPath(), "cluster-fault-trace-" + Guid.NewGuid().ToString("N")[..10]);
        System.IO.Directory.CreateDirectory(directory);
        HopTrace.Start(directory);
        return new RunTrace(directory);
    }

    /// <summary>Stops tracing this process and reads what every process wrote.</summary>
    public TraceCounts Read()
    {
        HopTrace.Stop();
        var wire = new Dictionary<string, int>();
        var runs = new Dictionary<string, List<Run>>();
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "hops.*.txt"))
        {
            var pid = int.Parse(Path.GetFileName(file).Split('.')[1], CultureInfo.InvariantCulture);
            foreach (var line in ReadShared(file))
            {
                // "point task-id ticks"; a process killed in the middle of a write may leave a torn last line.
                var parts = line.Split(' ');
                if (parts.Length != 3 || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks))
                {
                    continue;
                }
                switch (parts[0])
                {
                    case "client.completed":
                        wire[parts[1]] = wire.GetValueOrDefault(parts[1]) + 1;
                        break;
                    case "worker.started":
                        if (!runs.TryGetValue(parts[1], out var list))
                        {
                            runs[parts[1]] = list = [];
                        }
                        list.Add(new Run(pid, ticks));
                        break;
                }
            }
        }
        return new TraceCounts(wire, runs.ToDictionary(r => r.Key, r => (IReadOnlyList<Run>)[.. r.Value.OrderBy(x => x.Ticks)]));
    }

    public void Dispose()
    {
        HopTrace.Stop();
        if (Keep)
        {
            Console.WriteLine($"   hop trace kept in {Directory}");
            return;
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A worker process still closing its file: the temporary directory stays behind.
        }
    }

    private static IEnumerable<string> ReadShared(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }
}
