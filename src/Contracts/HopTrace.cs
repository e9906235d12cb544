namespace Cluster.Contracts;

public static class HopTrace
{
    private static readonly StreamWriter? Writer = Create();
    private static readonly System.Threading.Lock Gate = new();

    private static StreamWriter? Create()
    {
        var dir = Environment.GetEnvironmentVariable("CLUSTER_HOPS");
        return dir is null ? null : new StreamWriter(Path.Combine(dir, $"hops.{Environment.ProcessId}.txt")) { AutoFlush = true };
    }

    public static void Mark(string point, string id)
    {
        if (Writer is null)
        {
            return;
        }
        var t = System.Diagnostics.Stopwatch.GetTimestamp();
        lock (Gate)
        {
            Writer.WriteLine($"{point} {id} {t}");
        }
    }
}
