using Cluster.IntegrationTests.Infrastructure;

namespace Cluster.IntegrationTests.Python;

/// <summary>
/// One real `cluster up` (one worker process with the sample tasks, embedded store) that the Python
/// client and worker of clients/python are tested against, with tokens: every Python call carries
/// the fixture's token (CLUSTER_TOKEN). When Debian's python3 lacks the gRPC modules, its tests skip
/// (in CI: fail) saying so.
/// </summary>
public sealed class PythonCluster : ClusterFixture
{
    /// <summary>The cluster, with a tokens file that holds only the fixture's own grants.</summary>
    public PythonCluster()
        : base(processes: 1, redis: false)
    {
        Grants = string.Empty;
    }

    /// <summary>Debian's own python3: the one its python3-grpcio and python3-protobuf packages serve.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>The clients/python folder: the cluster_futures package, its tests and examples.</summary>
    public static string PackageDirectory { get; } = Path.Combine(RepositoryRoot(), "clients", "python");

    /// <summary>What the machine lacks to run the Python client; null when it has it all.</summary>
    public static string? PythonMissing { get; } = FindMissing();

    /// <summary>Starts <see cref="Python"/> with the package on its path, the coordinator in CLUSTER_ADDRESS and the token in CLUSTER_TOKEN.</summary>
    public ChildProcess StartPython(params string[] arguments) =>
        StartPython(arguments, new Dictionary<string, string>
        {
            ["CLUSTER_ADDRESS"] = Address.ToString(),
            ["CLUSTER_TOKEN"] = FixtureToken!,
        });

    /// <summary>
    /// Starts <see cref="Python"/> with the package on its path and <paramref name="environment"/>,
    /// with its fault handler on: a SIGABRT makes it print every thread's stack (<see cref="WaitForExitOrDumpAsync"/>).
    /// </summary>
    public static ChildProcess StartPython(string[] arguments, IDictionary<string, string> environment) =>
        ChildProcess.Start(Python, ["-X", "faulthandler", .. arguments], new Dictionary<string, string>(environment)
        {
            ["PYTHONPATH"] = PackageDirectory,
            ["PYTHONUNBUFFERED"] = "1",
        });

    /// <summary>
    /// Waits for <paramref name="python"/> to exit; past <paramref name="timeout"/>, has it print every
    /// thread's stack (SIGABRT to its fault handler) and fails with its output, so a hang says where it is.
    /// </summary>
    public static async Task WaitForExitOrDumpAsync(ChildProcess python, TimeSpan timeout)
    {
        try
        {
            await python.Exited.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            ChildProcess.Signal(python.Id, SigAbrt);
            try
            {
                await python.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                // Still running: its output so far is what there is; disposing the process kills it.
            }
            throw new TimeoutException($"{python.Description} did not exit within {timeout}; its output, with the stack of every thread at the end:{System.Environment.NewLine}{python.Output}");
        }
    }

    private const int SigAbrt = 6;

    private static string? FindMissing()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} is not installed (apt-get install python3 python3-grpcio python3-protobuf)";
        }
        using var check = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(Python, ["-c", "import grpc, google.protobuf"])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var error = check.StandardError.ReadToEnd();
        check.WaitForExit();
        return check.ExitCode == 0 ? null
            : $"{Python} cannot import grpc and google.protobuf (apt-get install python3-grpcio python3-protobuf): {error.Trim()}";
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Cluster.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("Cluster.sln not found above " + AppContext.BaseDirectory);
    }
}
