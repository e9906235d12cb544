using System.Runtime;
using Cluster.Cli.Settings;

namespace Cluster.Cli;

/// <summary>
/// The runtime's multi-core JIT for the long-running roles (<c>up</c>, <c>coordinator</c>, a worker
/// process): a run records which methods it compiled, and the next run of the same build compiles
/// them from its start on a background thread, instead of on first call while the first tasks flow.
/// </summary>
/// <remarks>
/// Without it, a fresh cluster spends a third of its CPU compiling during its first 20,000 tasks
/// (docs/performance.md, "Cold start"). The profiles live in the user's cache
/// (<c>$XDG_CACHE_HOME/cluster/jit</c>, else <c>~/.cache/cluster/jit</c>): one folder per build of
/// the program, one file per role and store (per slot for worker processes). One process at a time
/// uses a profile: it holds a lock beside it until it exits, when the runtime writes the profile
/// again; another process of the same role and slot meanwhile runs without one. Nothing stops a
/// start: a cache that cannot be written means no profile. Another build's profiles unused for a
/// week are deleted. <c>CLUSTER_JIT_PROFILE=off</c> turns it off.
/// </remarks>
internal static class JitProfile
{
    /// <summary>The worker process's slot in its daemon (0, 1, …), set by the daemon in the child's environment.</summary>
    public const string SlotVariable = "CLUSTER_WORKER_SLOT";

    private const string SwitchVariable = "CLUSTER_JIT_PROFILE";

    // Held open (locked) for the life of the process; released by the operating system at exit.
    private static FileStream? s_lock;

    /// <summary>Starts the profile of a command that was parsed and is about to run (not for help, nor a refused command line).</summary>
    public static void Start(CommandNames command, SettingValues values)
    {
        if (command is not (CommandNames.Up or CommandNames.Coordinator or CommandNames.WorkerProcess)
            || string.Equals(Environment.GetEnvironmentVariable(SwitchVariable), "off", StringComparison.OrdinalIgnoreCase)
            || Folder() is not { } folder)
        {
            return;
        }
        var name = CommandWords.Of(command);
        if (command == CommandNames.WorkerProcess)
        {
            if (int.TryParse(Environment.GetEnvironmentVariable(SlotVariable), out var slot))
            {
                name += "-" + slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        else
        {
            // The embedded store's code runs in the process only without Redis: a profile of each.
            name += values.Get(ClusterOptions.Redis) is null ? "-embedded" : "-redis";
        }
        try
        {
            Directory.CreateDirectory(folder);
            // FileShare.None takes an advisory lock that other processes' opens respect.
            s_lock = new FileStream(Path.Combine(folder, name + ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // another process of this role and slot holds it, or the cache cannot be written
        }
        ProfileOptimization.SetProfileRoot(folder);
        ProfileOptimization.StartProfile(name + ".jitprofile");
        Prune(folder);
    }

    /// <summary>Drops the profiles of other builds not used for a week: each rebuild or upgrade starts a folder.</summary>
    private static void Prune(string folder)
    {
        try
        {
            foreach (var other in Directory.EnumerateDirectories(Path.GetDirectoryName(folder)!))
            {
                if (other != folder && Directory.GetLastWriteTimeUtc(other) < DateTime.UtcNow.AddDays(-7))
                {
                    Directory.Delete(other, recursive: true);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // another process pruning at once, or a folder not ours to delete: left for the next start
        }
    }

    /// <summary>This build's folder of profiles: a profile names the methods of the build that wrote it.</summary>
    internal static string? Folder()
    {
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(cache))
        {
            var home = Environment.GetEnvironmentVariable("HOME");
            if (string.IsNullOrEmpty(home))
            {
                return null;
            }
            cache = Path.Combine(home, ".cache");
        }
        var build = typeof(JitProfile).Assembly.ManifestModule.ModuleVersionId.ToString("N");
        return Path.Combine(cache, "cluster", "jit", build);
    }
}
