using System.Diagnostics;
using Cluster.Cli.Settings;
using Cluster.Worker;
using Microsoft.Extensions.Logging;

namespace Cluster.Cli.Commands;

internal static class WorkerCommand
{
    /// <summary><c>cluster worker</c>: the daemon of one host.</summary>
    public static async Task<int> RunDaemonAsync(SettingValues values, CancellationToken cancellationToken)
    {
        var coordinators = values.All(ClusterOptions.Coordinators).Select(c => c!).ToList();
        var settings = WorkerSettings.From(values) with { Security = TlsArguments.Worker(values) };
        var token = ClientToken.From(values);
        using var logging = Logging.Create(settings.Verbose);
        var daemon = new WorkerDaemon(settings.Processes, slot => ChildStartInfo(coordinators, settings, token, slot), logging.CreateLogger<WorkerDaemon>());
        Console.WriteLine($"Worker daemon: {settings.Processes} worker processes × ({settings.Threads} threads + {settings.Coroutines} coroutines) → {string.Join(", ", coordinators)}");
        await daemon.RunAsync(cancellationToken);
        return 0;
    }

    /// <summary><c>cluster worker-process</c>: one worker process, started by the daemon.</summary>
    public static async Task<int> RunProcessAsync(SettingValues values, CancellationToken cancellationToken)
    {
        var coordinators = values.All(ClusterOptions.Coordinators).Select(c => c!).ToList();
        // --threads, --coroutines, --tls-*: the options bound to WorkerOptions.
        var options = values.Bind(new WorkerOptions());
        options.Coordinator = coordinators[0];
        // From the environment the daemon set: a token on a command line is visible to every user of the host.
        options.Token = ClientToken.From(values);
        _ = TlsArguments.Worker(values);
        foreach (var extra in coordinators.Skip(1))
        {
            options.Coordinators.Add(extra);
        }
        foreach (var queue in WorkerSettings.QueuesOf(values))
        {
            options.Queues.Add(queue);
        }
        var tasks = values.All(ClusterOptions.TaskAssemblies).Select(p => p!).ToList();
        var verbose = values.Get(ClusterOptions.Verbose);
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
    /// <param name="slot">The child's slot in the daemon (0, 1, …): its JIT profile is its slot's.</param>
    public static ProcessStartInfo ChildStartInfo(IReadOnlyList<Uri> coordinators, WorkerSettings settings, string? token, int slot)
    {
        var info = new ProcessStartInfo();
        info.Environment[JitProfile.SlotVariable] = slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
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
            info.ArgumentList.Add(ClusterOptions.Coordinators.Flag);
            info.ArgumentList.Add(coordinator.ToString());
        }
        info.ArgumentList.Add(ClusterOptions.Threads.Flag);
        info.ArgumentList.Add(settings.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.ArgumentList.Add(ClusterOptions.Coroutines.Flag);
        info.ArgumentList.Add(settings.Coroutines.ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.ArgumentList.Add(ClusterOptions.Prefetch.Flag);
        info.ArgumentList.Add(settings.Prefetch.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (settings.Queues.Count > 0)
        {
            info.ArgumentList.Add(ClusterOptions.Queues.Flag);
            info.ArgumentList.Add(string.Join(',', settings.Queues));
        }
        foreach (var path in settings.Tasks)
        {
            info.ArgumentList.Add(ClusterOptions.TaskAssemblies.Flag);
            info.ArgumentList.Add(path);
        }
        foreach (var tls in TlsArguments.ForWorkerProcess(settings.Security))
        {
            info.ArgumentList.Add(tls);
        }
        if (settings.Verbose)
        {
            info.ArgumentList.Add(ClusterOptions.Verbose.Flag);
        }
        info.ArgumentList.Add(ClusterOptions.ExitWithParent.Flag);
        return info;
    }
}
