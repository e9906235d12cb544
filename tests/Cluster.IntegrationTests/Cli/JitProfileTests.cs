using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Testing;

namespace Cluster.IntegrationTests.Cli;

/// <summary>
/// The long-running roles keep a multi-core JIT profile in the user's cache, so the next start of
/// the same build compiles its hot methods from the start instead of while the first tasks flow.
/// </summary>
public sealed class JitProfileTests : IDisposable
{
    private readonly string _cache = Directory.CreateTempSubdirectory("cluster-jit-cache-").FullName;

    [Fact]
    public async Task AStoppedCluster_LeavesAProfileForItsUpProcessAndEachWorkerSlot_InTheUsersCache()
    {
        await RunTasksAsync(new Dictionary<string, string> { ["XDG_CACHE_HOME"] = _cache });

        // One folder per build of the program, one profile per role and worker slot, each written at exit.
        var build = Assert.Single(Directory.GetDirectories(Path.Combine(_cache, "cluster", "jit")));
        foreach (var role in new[] { "up-embedded", "worker-process-0" })
        {
            var profile = new FileInfo(Path.Combine(build, role + ".jitprofile"));
            Assert.True(profile.Exists && profile.Length > 0, $"{profile.FullName}: {(profile.Exists ? profile.Length + " bytes" : "missing")}");
        }

        // The next start plays it back (and writes it again): it runs as before.
        var written = File.GetLastWriteTimeUtc(Path.Combine(build, "up-embedded.jitprofile"));
        await RunTasksAsync(new Dictionary<string, string> { ["XDG_CACHE_HOME"] = _cache });
        Assert.True(File.GetLastWriteTimeUtc(Path.Combine(build, "up-embedded.jitprofile")) >= written);
    }

    [Fact]
    public async Task ACacheThatCannotBeWritten_OrTheSwitchOff_LeavesNoProfile_AndTheClusterRunsAsBefore()
    {
        // A file where the cache folder should be: the profile's folder cannot be made.
        var blocked = Path.Combine(_cache, "not-a-folder");
        await File.WriteAllTextAsync(blocked, "x");
        await RunTasksAsync(new Dictionary<string, string> { ["XDG_CACHE_HOME"] = blocked });

        var cache = Path.Combine(_cache, "switched-off");
        await RunTasksAsync(new Dictionary<string, string> { ["XDG_CACHE_HOME"] = cache, ["CLUSTER_JIT_PROFILE"] = "off" });
        Assert.False(Directory.Exists(Path.Combine(cache, "cluster")));
    }

    [Fact]
    public async Task HelpOrARefusedCommandLine_TouchesNoProfile()
    {
        // A profile is written at exit: one from a run that only printed help would replace a good one.
        foreach (var arguments in new[] { new[] { "up", "--help" }, ["coordinator", "--port", "not-a-port"] })
        {
            await using var run = ChildProcess.StartCluster(new Dictionary<string, string> { ["XDG_CACHE_HOME"] = _cache }, arguments);
            await run.WaitForExitAsync(TaskTimeouts.Default);
        }
        Assert.False(Directory.Exists(Path.Combine(_cache, "cluster")));
    }

    /// <summary>Starts `cluster up` with one worker process, checks 50 tasks' results, then stops it gracefully.</summary>
    private static async Task RunTasksAsync(IReadOnlyDictionary<string, string> environment)
    {
        await using var cluster = ChildProcess.StartCluster(environment, "up", "--port", "0", "--processes", "1");
        var address = (await cluster.WaitForOutputAsync(@"Coordinator listening on (\S+)", TimeSpan.FromSeconds(90))).Groups[1].Value;
        await using (var executor = new ClusterExecutor(address))
        {
            var futures = Enumerable.Range(0, 50).Select(i => executor.Submit<long>("add", i, 1)).ToList();
            Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), await Task.WhenAll(futures.Select(f => f.AsTask())).WithTimeout());
        }
        cluster.Terminate();
        Assert.Equal(0, await cluster.WaitForExitAsync(TaskTimeouts.Default));
    }

    public void Dispose() => Directory.Delete(_cache, recursive: true);
}
