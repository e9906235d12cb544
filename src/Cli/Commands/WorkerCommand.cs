using System.Diagnostics;
using Cluster.Worker;
using Microsoft.Extensions.Logging;

namespace Cluster.Cli.Commands;

internal static class WorkerCommand
{
    private static readonly HashSet<string> Flags = ["verbose"];

    /// <summary><c>cluster worker</c>: the daemon of one host.</summary>
    public static async Task<int> RunDaemonAsync(IEnumerable<string> rest, CancellationToken cancellationToken)
    {
        var args = new Arguments(rest, Flags);
        var coordinators = args.Urls("coordinator");
        var settings = WorkerSettings.From(args) with { Security = TlsArguments.Worker(args) };
        var token = ClientToken.From(args);
        args.RejectUnknown();
        using var logging = Logging.Create(settings.Verbose);
        var daemon = new WorkerDaemon(settings.Processes, _ => ChildStartInfo(coordinators, settings, token), logging.CreateLogger<WorkerDaemon>());
        Console.WriteLine($"Worker daemon: {settings.Processes} worker processes × ({settings.Threads} threads + {settings.Coroutines} coroutines) → {string.Join(", ", coordinators)}");
        await daemon.RunAsync(cancellationToken);
        return 0;
    }

    /// <summary><c>cluster worker-process</c>: one worker process, started by the daemon.</summary>
    public static async Task<int> RunProcessAsync(IEnumerable<string> rest, CancellationToken cancellationToken)
    {
        var args = new Arguments(rest, Flags);
        var coordinators = args.Urls("coordinator");
        var options = new WorkerOptions
        {
            Coordinator = coordinators[0],
            Threads = args.Int("threads", Environment.ProcessorCount * 5, 1, 4096),
            Coroutines = args.Int("coroutines", 1000, 1, 1_000_000),
            // From the environment the daemon set: a token on a command line is visible to every user of the host.
            Token = ClientToken.From(args),
        };
        var tls = TlsArguments.Worker(args);
        (options.TlsCa, options.TlsClientCertificate, options.TlsClientKey) = (tls.TlsCaFile, tls.TlsClientCertificateFile, tls.TlsClientKeyFile);
        foreach (var extra in coordinators.Skip(1))
        {
            options.Coordinators.Add(extra);
        }
        var tasks = args.All("tasks");
        var verbose = args.Flag("verbose");
        args.RejectUnknown();
        var registry = new TaskRegistry();
        foreach (var path in tasks.Count > 0 ? tasks : [WorkerSettings.SampleTasks])
        {
            registry.AddAssembly(path);
        }
        using var logging = Logging.Create(verbose);
        using var worker = new WorkerProcess(options, registry, logging.CreateLogger<WorkerProcess>());
        await worker.RunAsync(cancellationToken);
        return 0;
    }

    /// <summary>How the daemon starts one worker process: this same program, command worker-process.</summary>
    /// <param name="token">The worker's bearer token, passed in the child's environment (never its command line); null for none.</param>
    public static ProcessStartInfo ChildStartInfo(IReadOnlyList<Uri> coordinators, WorkerSettings settings, string? token)
    {
        var info = new ProcessStartInfo();
        if (token is not null)
        {
            info.Environment[ClientToken.EnvironmentVariable] = token;
        }
        var self = Environment.ProcessPath!;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.FileName = self;
            info.ArgumentList.Add(typeof(WorkerCommand).Assembly.Location);
        }
        else
        {
            info.FileName = self;
        }
        info.ArgumentList.Add("worker-process");
        foreach (var coordinator in coordinators)
        {
            info.ArgumentList.Add("--coordinator");
            info.ArgumentList.Add(coordinator.ToString());
        }
        info.ArgumentList.Add("--threads");
        info.ArgumentList.Add(settings.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.ArgumentList.Add("--coroutines");
        info.ArgumentList.Add(settings.Coroutines.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var path in settings.Tasks)
        {
            info.ArgumentList.Add("--tasks");
            info.ArgumentList.Add(path);
        }
        foreach (var tls in TlsArguments.ForWorkerProcess(settings.Security))
        {
            info.ArgumentList.Add(tls);
        }
        if (settings.Verbose)
        {
            info.ArgumentList.Add("--verbose");
        }
        info.ArgumentList.Add("--exit-with-parent");
        return info;
    }
}
