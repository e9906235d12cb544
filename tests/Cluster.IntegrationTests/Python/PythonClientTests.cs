using System.Text.RegularExpressions;
using Cluster.Client;
using Cluster.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Cluster.IntegrationTests.Python;

/// <summary>
/// The Python package of clients/python against a real cluster: its unittest suite (the client on
/// CPython's own concurrent.futures functions, against the C# sample workers; its worker; a broken
/// connection), and its worker serving tasks a C# client submits.
/// </summary>
public sealed partial class PythonClientTests(PythonCluster cluster, ITestOutputHelper output) : IClassFixture<PythonCluster>
{
    // Both well under CI's hang timeout for a test (5 min, .ci/run): a Python process that hangs
    // fails its own test, with every thread's stack, rather than have the whole run aborted.
    // The suite takes about 12 s and over_tls.py about 5 s.
    private static readonly TimeSpan SuiteTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(2);

    [SkippableFact]
    public async Task PythonUnittestSuite_PassesAgainstTheCluster()
    {
        Requirements.Require(PythonCluster.PythonMissing);
        await using var python = cluster.StartPython("-m", "unittest", "discover", "-v", "-s", Path.Combine(PythonCluster.PackageDirectory, "tests"));
        await PythonCluster.WaitForExitOrDumpAsync(python, SuiteTimeout);
        output.WriteLine(python.Output);

        Assert.True(python.ExitCode == 0, $"python3 -m unittest exited with {python.ExitCode}:\n{python.Output}");
        var ran = RanLine().Match(python.Output);
        Assert.True(ran.Success && int.Parse(ran.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 30, $"fewer Python tests ran than written:\n{python.Output}");
        if (Requirements.InCi)
        {
            // In CI every Python test runs: the cluster gives the address and token, CI installs protoc.
            Assert.DoesNotContain("skipped", python.Output, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task PythonWorker_ServesTasksSubmittedFromCSharp_AndDrainsOnSigterm()
    {
        Requirements.Require(PythonCluster.PythonMissing);
        await using var worker = cluster.StartPython(Path.Combine(PythonCluster.PackageDirectory, "examples", "worker.py"), cluster.Address.ToString());
        await worker.WaitForOutputAsync("connected to .* serving py.greet, py.square, py.word_count", TaskTimeouts.Default);
        await using var executor = cluster.NewExecutor();

        var squares = Enumerable.Range(0, 200).Select(i => executor.Submit<long>("py.square", i)).ToList();
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i * i), await Task.WhenAll(squares.Select(f => f.AsTask())).WithTimeout());
        Assert.Equal(new Dictionary<string, int> { ["to"] = 2, ["be"] = 2, ["or"] = 1, ["not"] = 1 },
            await executor.Submit<Dictionary<string, int>>("py.word_count", "to be or not to be").AsTask().WithTimeout());
        Assert.StartsWith("hello dotnet from attempt 1 of ", await executor.Submit<string>("py.greet", "dotnet").AsTask().WithTimeout(), StringComparison.Ordinal);

        var error = await Assert.ThrowsAsync<RemoteTaskException>(() => executor.Submit<long>("py.square", "seven").AsTask().WithTimeout());
        Assert.Equal("builtins.TypeError", error.RemoteType);
        Assert.Contains("in square", error.RemoteStackTrace, StringComparison.Ordinal);

        worker.Terminate();
        await worker.WaitForOutputAsync("worker stopped", TaskTimeouts.Default);
        await worker.Exited.WithTimeout();
        Assert.Equal(0, worker.ExitCode);
    }

    [SkippableFact]
    public async Task PythonClientAndWorker_OverTlsWithTokens_RunTasks()
    {
        Requirements.Require(PythonCluster.PythonMissing);
        var secrets = Directory.CreateTempSubdirectory("cluster-python-tls-").FullName;
        try
        {
            await using (var writer = ChildProcess.StartCluster("secrets", "--out", secrets))
            {
                await writer.Exited.WithTimeout();
                Assert.True(writer.ExitCode == 0, $"cluster secrets failed:\n{writer.Output}");
            }
            await using var coordinator = ChildProcess.StartCluster("up", "--port", "0", "--processes", "1",
                "--tokens", Path.Combine(secrets, "tokens"), "--tls-cert", Path.Combine(secrets, "tls.crt"), "--tls-key", Path.Combine(secrets, "tls.key"));
            var address = (await coordinator.WaitForOutputAsync(@"Coordinator listening on (https://\S+)", TimeSpan.FromSeconds(90))).Groups[1].Value;

            await using var python = PythonCluster.StartPython(
                [Path.Combine(PythonCluster.PackageDirectory, "tests", "over_tls.py"), address, Path.Combine(secrets, "tls.crt"), Path.Combine(secrets, "client.token"), Path.Combine(secrets, "worker.token")],
                new Dictionary<string, string>());
            await PythonCluster.WaitForExitOrDumpAsync(python, ScriptTimeout);
            output.WriteLine(python.Output);

            Assert.True(python.ExitCode == 0, $"over_tls.py exited with {python.ExitCode}:\n{python.Output}");
            Assert.Contains("over TLS: add(2, 3) = 5 on a C# worker, py.tls.cube(3) = 27 on a Python worker", python.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(secrets, recursive: true);
        }
    }

    [GeneratedRegex(@"Ran (\d+) tests")]
    private static partial Regex RanLine();
}
