using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;

namespace Cluster.Bench.Infrastructure;

/// <summary>What the numbers were measured on: cores, CPU, memory, OS, .NET, the commit, and how busy the machine was.</summary>
internal sealed record Machine(
    int Cores,
    string Cpu,
    string Memory,
    string Os,
    string Kernel,
    string DotNet,
    string Gc,
    string? Commit,
    string? RedisServer,
    string LoadAverage,
    DateTime StartedUtc)
{
    public static Machine Describe(bool withRedis) => new(
        Environment.ProcessorCount,
        FirstValue("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
        FirstValue("/proc/meminfo", "MemTotal") is { } kb && long.TryParse(kb.Split(' ')[0], out var k) ? $"{k / 1024.0 / 1024.0:0.0} GiB" : "?",
        OsRelease() ?? RuntimeInformation.OSDescription,
        ReadKernel(),
        $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier})",
        GCSettings.IsServerGC ? "server" : "workstation" + (GCSettings.LatencyMode == GCLatencyMode.Batch ? " (non-concurrent)" : " (concurrent)"),
        ReadCommit(),
        withRedis ? Run("redis-server", "--version") : null,
        ReadLoadAverage(),
        DateTime.UtcNow);

    /// <summary>The 1, 5 and 15 minute load averages: how much else was running.</summary>
    public static string ReadLoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return string.Join(' ', parts.Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    public string ToMarkdown() =>
        $"""
        | machine | |
        | --- | --- |
        | cores | {Cores} |
        | CPU | {Cpu} |
        | memory | {Memory} |
        | OS | {Os} ({Kernel}) |
        | .NET | {DotNet}, bench client GC: {Gc} |
        | commit | {Commit ?? "?"} |
        {(RedisServer is null ? "" : $"| redis-server | {RedisServer} |\n")}| load average at start (1/5/15 min) | {LoadAverage} |
        | started (UTC) | {StartedUtc:yyyy-MM-dd HH:mm:ss} |
        """;

    private static string ReadKernel()
    {
        try
        {
            return "Linux " + File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (IOException)
        {
            return RuntimeInformation.OSDescription;
        }
    }

    private static string? FirstValue(string file, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && line[..colon].Trim() == key)
                {
                    return line[(colon + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    private static string? OsRelease()
    {
        var value = FirstValueByEquals("/etc/os-release", "PRETTY_NAME");
        return value?.Trim('"');
    }

    private static string? FirstValueByEquals(string file, string key)
    {
        try
        {
            return File.ReadLines(file).Where(l => l.StartsWith(key + "=", StringComparison.Ordinal)).Select(l => l[(key.Length + 1)..]).FirstOrDefault();
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The repository's commit (with "+dirty" when the work tree has changes), when git and the repository are here.</summary>
    private static string? ReadCommit()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
        {
            dir = dir.Parent;
        }
        if (dir is null)
        {
            return null;
        }
        var head = Run("git", "-C", dir.FullName, "rev-parse", "--short", "HEAD");
        if (head is null)
        {
            return null;
        }
        var status = Run("git", "-C", dir.FullName, "status", "--porcelain", "--untracked-files=no");
        return string.IsNullOrWhiteSpace(status) ? head : head + "+dirty";
    }

    private static string? Run(string file, params string[] arguments)
    {
        try
        {
            var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }
            using var process = Process.Start(info);
            if (process is null)
            {
                return null;
            }
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(10_000);
            return process.ExitCode == 0 ? output.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
