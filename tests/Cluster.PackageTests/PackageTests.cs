using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Cluster.Client;

namespace Cluster.PackageTests;

/// <summary>
/// What a user of the packages relies on: each library package carries its documentation, the
/// README and the license; an application that references only the packages runs tasks on a real
/// coordinator; the tool installs and runs.
/// </summary>
public sealed partial class PackageTests(PackageFeed feed) : IClassFixture<PackageFeed>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public void EachLibraryPackage_HoldsItsXmlDocs_TheReadme_AndTheLicense_WithSymbolsBeside()
    {
        foreach (var id in PackageFeed.Libraries)
        {
            using var package = ZipFile.OpenRead(feed.PackagePath(id));
            var entries = package.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
            Assert.Contains($"lib/net10.0/{id}.dll", entries);
            Assert.Contains("README.md", entries);
            Assert.Contains("LICENSE", entries);

            var docs = XDocument.Load(package.GetEntry($"lib/net10.0/{id}.xml")!.Open());
            var members = docs.Descendants("member").Select(m => (string)m.Attribute("name")!).ToList();
            Assert.Contains(members, m => m.StartsWith($"T:{id}.", StringComparison.Ordinal));

            var nuspec = XDocument.Load(package.GetEntry($"{id}.nuspec")!.Open());
            var ns = nuspec.Root!.Name.Namespace;
            var metadata = nuspec.Root.Element(ns + "metadata")!;
            Assert.Equal(id, (string?)metadata.Element(ns + "id"));
            Assert.Equal(feed.Version, (string?)metadata.Element(ns + "version"));
            Assert.Equal("MIT", (string?)metadata.Element(ns + "license"));
            Assert.Equal("expression", (string?)metadata.Element(ns + "license")!.Attribute("type"));
            Assert.Equal("README.md", (string?)metadata.Element(ns + "readme"));
            Assert.False(string.IsNullOrWhiteSpace((string?)metadata.Element(ns + "description")), $"{id} has no description");

            using var symbols = ZipFile.OpenRead(feed.PackagePath(id, "snupkg"));
            Assert.Contains(symbols.Entries, e => e.FullName == $"lib/net10.0/{id}.pdb");
        }
    }

    [Fact]
    public async Task AnApp_ReferencingOnlyThePackages_HostsAWorkerAndAClient_AndRunsTasksEndToEnd()
    {
        var app = await feed.BuildAppAsync("ConsumerApp");
        AssertReferencesOnlyPackages(app, "Cluster.Client", "Cluster.Worker", "Cluster.Contracts");
        await using var coordinator = ChildProcess.StartCluster("coordinator", "--port", "0");
        var address = (await coordinator.WaitForOutputAsync(@"Coordinator listening on (\S+)", RunTimeout)).Groups[1].Value;

        var run = await feed.RunAsync(RunTimeout, app,
            $"--Cluster:Client:Addresses:0={address}", $"--Cluster:Worker:Coordinators:0={address}");

        var pid = PidLine().Match(run).Groups[1].Value;
        Assert.Equal("5", Result(run, "add"));
        Assert.Equal("hello, cluster", Result(run, "greet"));
        Assert.Equal(pid, Result(run, "whoami")); // run by the worker inside the app
        Assert.Equal("CoroutineLoop:done", Result(run, "later"));
        Assert.Equal("338350", Result(run, "squares")); // 1² + ... + 100²
        Assert.Equal("System.InvalidOperationException: boom", Result(run, "fail"));
    }

    [Fact]
    public async Task AnApp_ReferencingOnlyTheCoordinatorPackage_HostsACoordinator_ThatRunsTasks()
    {
        var app = await feed.BuildAppAsync("CoordinatorApp");
        AssertReferencesOnlyPackages(app, "Cluster.Coordinator", "Cluster.Contracts");
        await using var coordinator = ChildProcess.Start(ChildProcess.DotnetHost, [app], new Dictionary<string, string>(feed.Environment));
        var address = (await coordinator.WaitForOutputAsync(@"Coordinator listening on (\S+)", RunTimeout)).Groups[1].Value;
        await using var worker = ChildProcess.StartCluster("worker", "--coordinator", address, "--processes", "1");

        await using var executor = new ClusterExecutor(address);
        Assert.Equal(5, await executor.Submit<long>("add", 2, 3).AsTask().WaitAsync(RunTimeout));
    }

    [Fact]
    public async Task TheTool_InstallsFromTheFeed_AndRunsAsCluster()
    {
        var tools = Path.Combine(feed.Root, "tools");
        await feed.RunAsync(PackageFeed.BuildTimeout, "tool", "install", PackageFeed.Tool, "--version", feed.Version, "--tool-path", tools,
            "--configfile", feed.NuGetConfig, "--add-source", feed.Feed);

        await using var cluster = ChildProcess.Start(Path.Combine(tools, "cluster"), ["--help"], new Dictionary<string, string>(feed.Environment));
        Assert.Equal(0, await cluster.WaitForExitAsync(RunTimeout));
        // The usage lists the commands, each at the start of a line.
        Assert.Matches(@"(?m)^\s+(cluster )?coordinator\s", cluster.Output);
        Assert.Matches(@"(?m)^\s+(cluster )?worker\s", cluster.Output);
    }

    /// <summary>The value of the app's line <c>RESULT name=value</c>.</summary>
    private static string Result(string output, string name)
    {
        var match = Regex.Match(output, $"^RESULT {Regex.Escape(name)}=(.*)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"The app printed no result for {name}:{Environment.NewLine}{output}");
        return match.Groups[1].Value.TrimEnd('\r');
    }

    /// <summary>The app built from packages only (no project of the repository), these Cluster ones of this run among them.</summary>
    private void AssertReferencesOnlyPackages(string appPath, params string[] ids)
    {
        var assets = File.ReadAllText(Path.Combine(Path.GetDirectoryName(appPath)!, "..", "obj", "project.assets.json"));
        foreach (var id in ids)
        {
            Assert.Contains($"\"{id}/{feed.Version}\"", assets, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("\"type\": \"project\"", assets, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^PID (\d+)", RegexOptions.Multiline)]
    private static partial Regex PidLine();
}
