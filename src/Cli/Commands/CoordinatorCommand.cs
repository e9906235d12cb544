using Cluster.Cli.Settings;
using Cluster.Coordinator;
using Microsoft.Extensions.Logging;

namespace Cluster.Cli.Commands;

internal static class CoordinatorCommand
{
    /// <summary>The coordinator's options from the command line (and the environment), checked.</summary>
    public static CoordinatorOptions Options(SettingValues values)
    {
        var options = values.Bind(new CoordinatorOptions());
        options.Validate();
        return options;
    }

    public static async Task<int> RunAsync(SettingValues values, CancellationToken cancellationToken)
    {
        var options = Options(values);
        var verbose = values.Get(ClusterOptions.Verbose);
        await using var host = await CoordinatorHost.StartAsync(options, verbose ? LogLevel.Information : LogLevel.Warning, cancellationToken);
        Console.WriteLine($"Coordinator listening on {host.Address} (store: {Describe(options)})");
        PrintHttp(host.HttpAddress);
        await WaitAsync(cancellationToken);
        Console.WriteLine("Coordinator stopping.");
        return 0;
    }

    /// <summary>Says where the HTTP port serves the dashboard, metrics and health (the port chosen, when 0 was asked).</summary>
    public static void PrintHttp(Uri? http)
    {
        if (http is not null)
        {
            Console.WriteLine($"Dashboard at {http}");
            Console.WriteLine($"Metrics at {http}metrics, health at {http}healthz");
        }
    }

    public static string Describe(CoordinatorOptions options) =>
        options.Redis is not null ? "redis" : options.DataDirectory is not null ? $"embedded, data in {Path.GetFullPath(options.DataDirectory)}" : "embedded, in memory";

    public static async Task WaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
