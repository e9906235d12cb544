namespace Cluster.IntegrationTests.Infrastructure;

/// <summary>Reads the hop trace (<c>CLUSTER_HOP_TRACE</c>) the processes of a test wrote: one file hops.PID.txt a process.</summary>
internal static class HopMarks
{
    /// <summary>Every mark of every process in <paramref name="directory"/>: its point, task id and process.</summary>
    public static IEnumerable<(string Point, string TaskId, int Pid)> Read(string directory) =>
        Directory.EnumerateFiles(directory, "hops.*.txt").SelectMany(ReadFile);

    /// <summary>The marks of one process (none when it has written none yet).</summary>
    public static IEnumerable<(string Point, string TaskId, int Pid)> Read(string directory, int pid) =>
        ReadFile(Path.Combine(directory, $"hops.{pid}.txt"));

    private static List<(string Point, string TaskId, int Pid)> ReadFile(string file)
    {
        var marks = new List<(string, string, int)>();
        if (!File.Exists(file))
        {
            return marks;
        }
        var pid = int.Parse(Path.GetFileName(file).Split('.')[1], System.Globalization.CultureInfo.InvariantCulture);
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            // "point task-id ticks"; a line still being written may be torn.
            var parts = line.Split(' ');
            if (parts.Length == 3)
            {
                marks.Add((parts[0], parts[1], pid));
            }
        }
        return marks;
    }
}
