using System.Globalization;
using System.Runtime.InteropServices;

namespace Cluster.Testing;

/// <summary>What Linux says about a process: CPU time, resident memory, threads, children (from /proc).</summary>
public static partial class ProcFs
{
    private const int ScClkTck = 2;

    private static readonly Lazy<double> TicksPerSecond = new(() =>
    {
        var ticks = SysConf(ScClkTck);
        return ticks > 0 ? ticks : 100;
    });

    /// <summary>
    /// User plus system CPU time of a process so far, in seconds (with <paramref name="reapedChildren"/>,
    /// plus that of its children that have exited and been waited for); null when it is gone.
    /// </summary>
    public static double? CpuSeconds(int pid, bool reapedChildren = false)
    {
        var fields = StatFields(pid);
        if (fields is null)
        {
            return null;
        }
        // Fields after "(comm)": [0] state (field 3), [11] utime (field 14), [12] stime (field 15),
        // [13] cutime (field 16), [14] cstime (field 17).
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        if (reapedChildren)
        {
            ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        }
        return ticks / TicksPerSecond.Value;
    }

    /// <summary>
    /// Bytes a process has passed through read and write calls so far (/proc/PID/io rchar + wchar:
    /// sockets, pipes and files alike); null when it is gone or the kernel does not say.
    /// </summary>
    public static long? IoBytes(int pid)
    {
        try
        {
            long total = 0;
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/io"))
            {
                if (line.StartsWith("rchar:", StringComparison.Ordinal) || line.StartsWith("wchar:", StringComparison.Ordinal))
                {
                    total += long.Parse(line[6..].Trim(), CultureInfo.InvariantCulture);
                }
            }
            return total;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Resident set size in bytes (VmRSS); null when the process is gone.</summary>
    public static long? RssBytes(int pid) => StatusValue(pid, "VmRSS:") is { } kb ? kb * 1024 : null;

    /// <summary>
    /// Proportional set size in bytes (Pss in /proc/PID/smaps_rollup): resident memory with each page
    /// shared by k processes counted 1/k, so the PSS of several processes adds up to what they hold
    /// together, where their RSS counts shared pages (the runtime's and the framework's files) in each.
    /// Null when the process is gone or the kernel does not say.
    /// </summary>
    public static long? PssBytes(int pid) => ProcValue(pid, "smaps_rollup", "Pss:") is { } kb ? kb * 1024 : null;

    /// <summary>Threads of the process now; null when it is gone.</summary>
    public static int? Threads(int pid) => StatusValue(pid, "Threads:") is { } n ? (int)n : null;

    /// <summary>True while the process exists and is not a zombie (exited, waiting for its parent).</summary>
    public static bool IsAlive(int pid) => StatFields(pid) is { } fields && fields[0] != "Z";

    /// <summary>True while the process is stopped by a signal (SIGSTOP): state T in /proc.</summary>
    public static bool IsStopped(int pid) => StatFields(pid) is { } fields && fields[0] == "T";

    /// <summary>Direct children: every process whose parent is <paramref name="pid"/> (read from /proc/*/stat).</summary>
    public static IReadOnlyList<int> Children(int pid)
    {
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var candidate))
            {
                continue;
            }
            var fields = StatFields(candidate);
            // [1] is ppid (field 4).
            if (fields is not null && int.Parse(fields[1], CultureInfo.InvariantCulture) == pid)
            {
                children.Add(candidate);
            }
        }
        children.Sort();
        return children;
    }

    private static string[]? StatFields(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // The command name may hold spaces and parentheses: the fields start after the last ')'.
        var close = text.LastIndexOf(')');
        return close < 0 ? null : text[(close + 2)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    private static long? StatusValue(int pid, string key) => ProcValue(pid, "status", key);

    private static long? ProcValue(int pid, string file, string key)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/{file}"))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    var number = line[key.Length..].Trim().Split(' ')[0];
                    return long.Parse(number, CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);
}
