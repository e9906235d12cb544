using Cluster.Cli.Settings;

namespace Cluster.Cli.Commands;

internal static class UpCommand
{
    public static async Task<int> RunAsync(SettingValues values, CancellationToken cancellationToken)
    {
        var options = CoordinatorCommand.Options(values);
        var workers = WorkerSettings.From(values) with { Security = TlsArguments.UpWorker(values, options) };
        using var logging = Logging.Create(workers.Verbose);
        await using var cluster = await LocalCluster.StartAsync(options, workers, logging, workers.Verbose, cancellationToken);
        Console.WriteLine($"Coordinator listening on {cluster.Address} (store: {CoordinatorCommand.Describe(options)})");
        Console.WriteLine($"Worker daemon: {workers.Processes} worker processes × ({workers.Threads} threads + {workers.Coroutines} coroutines), tasks from {string.Join(", ", workers.Tasks.Select(Path.GetFileName))}");
        Console.WriteLine("Press Ctrl-C to stop.");
        await CoordinatorCommand.WaitAsync(cancellationToken);
        Console.WriteLine("Stopping the cluster.");
        return 0;
    }
}
