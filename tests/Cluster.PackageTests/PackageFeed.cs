using System.Globalization;
using System.Reflection;

namespace Cluster.PackageTests;

/// <summary>
/// The packages of this build in a local folder feed, under a temporary directory of their own:
/// <c>dotnet pack</c> of the solution (what the build made, under a version no other build has),
/// a nuget.config that adds the feed to the machine's sources, and a packages folder of its own,
/// so nothing of the test reaches the machine's packages folder and no older package is picked up.
/// </summary>
public sealed class PackageFeed : IAsyncLifetime
{
    /// <summary>The libraries that ship as packages.</summary>
    public static readonly IReadOnlyList<string> Libraries = ["Cluster.Contracts", "Cluster.Client", "Cluster.Worker", "Cluster.Coordinator"];

    /// <summary>The .NET tool package of the cluster command.</summary>
    public const string Tool = "Cluster.Cli";

    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(5);

    /// <summary>How long a restore and build of a small app may take, on a loaded machine.</summary>
    public static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The temporary directory everything of the test lives in.</summary>
    public string Root { get; } = Directory.CreateTempSubdirectory("cluster-packages-").FullName;

    /// <summary>The local folder feed the packages were packed into.</summary>
    public string Feed => Path.Combine(Root, "feed");

    /// <summary>The version every package of this run has.</summary>
    public string Version { get; } = string.Create(CultureInfo.InvariantCulture, $"0.0.1-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{System.Environment.ProcessId}");

    /// <summary>The nuget.config that adds the feed: beside every project the test builds, and given to tool installs.</summary>
    public string NuGetConfig => Path.Combine(Root, "nuget.config");

    /// <summary>The environment of every dotnet command the test runs: its own packages folder, no first-run output.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["NUGET_PACKAGES"] = Path.Combine(Root, "packages"),
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        // A tool's launcher finds the runtime of the SDK that runs the tests.
        ["DOTNET_ROOT"] = Path.GetDirectoryName(Path.GetFullPath(ChildProcess.DotnetHost))!,
    };

    /// <summary>The path of a package of this run in the feed (extension nupkg or snupkg).</summary>
    public string PackagePath(string id, string extension = "nupkg") => Path.Combine(Feed, $"{id}.{Version}.{extension}");

    public async Task InitializeAsync()
    {
        // Projects built under Root see none of the files of the directories above it.
        await File.WriteAllTextAsync(Path.Combine(Root, "Directory.Build.props"), "<Project />\n");
        await File.WriteAllTextAsync(Path.Combine(Root, "Directory.Build.targets"), "<Project />\n");
        await File.WriteAllTextAsync(Path.Combine(Root, "Directory.Packages.props"), "<Project />\n");
        File.Copy(Path.Combine(Path.GetDirectoryName(Solution)!, "global.json"), Path.Combine(Root, "global.json"));
        await File.WriteAllTextAsync(NuGetConfig, NuGetConfigText());

        await RunAsync(PackTimeout, "pack", Solution, "--no-build", "-c", Configuration, "-o", Feed, $"-p:PackageVersion={Version}");
    }

    /// <summary>
    /// Builds the application <paramref name="name"/> (a folder beside the tests, copied under <see cref="Root"/>)
    /// against the packages of this run; returns the path of its program.
    /// </summary>
    public async Task<string> BuildAppAsync(string name)
    {
        var app = Path.Combine(Root, name);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, name), "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(app, Path.GetRelativePath(Path.Combine(AppContext.BaseDirectory, name), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var output = Path.Combine(app, "out");
        await RunAsync(BuildTimeout, "build", Path.Combine(app, name + ".csproj"), "-c", "Release", "-o", output, $"-p:ClusterVersion={Version}");
        return Path.Combine(output, name + ".dll");
    }

    /// <summary>Runs a dotnet command to its end; throws with its output when it fails or overruns.</summary>
    /// <returns>Its output (standard output and error).</returns>
    public async Task<string> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        // No build server or node outlives the command: each runs in its own process.
        string[] build = arguments[0] is "build" or "pack" ? ["-nodeReuse:false", "-p:UseSharedCompilation=false"] : [];
        await using var dotnet = ChildProcess.Start(ChildProcess.DotnetHost, [.. arguments, .. build], new Dictionary<string, string>(Environment));
        try
        {
            var exitCode = await dotnet.WaitForExitAsync(timeout);
            if (exitCode != 0)
            {
                throw new InvalidOperationException($"`{dotnet.Description}` exited with {exitCode}:{System.Environment.NewLine}{dotnet.Output}");
            }
            return dotnet.Output;
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"`{dotnet.Description}` did not end within {timeout.TotalSeconds:0} s:{System.Environment.NewLine}{dotnet.Output}");
        }
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }

    private string NuGetConfigText()
    {
        // The machine's own sources stay (this file adds to them). Packages the machine holds already
        // are read from its packages folder, read-only, instead of being fetched again; the packages
        // of this run, under a version of their own, can only come from the feed.
        var machinePackages = System.Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var fallback = Directory.Exists(machinePackages)
            ? $"""
                <fallbackPackageFolders>
                  <add key="machine" value="{machinePackages}" />
                </fallbackPackageFolders>
              """
            : string.Empty;
        return $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="cluster-test-feed" value="{Feed}" />
              </packageSources>
            {fallback}
            </configuration>

            """;
    }

    private static string Solution => Metadata("Solution");

    private static string Configuration => Metadata("Configuration");

    private static string Metadata(string key) =>
        typeof(PackageFeed).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
