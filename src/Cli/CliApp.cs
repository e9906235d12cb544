using System.Runtime.InteropServices;
using Cluster.Cli.Commands;

namespace Cluster.Cli;

internal static class CliApp
{
    public const string Usage = """
        cluster — concurrent.futures on a cluster

        usage:
          cluster up [--port P] [--processes N] [--threads N] [--coroutines N] [--redis ADDR] [--data DIR] [--tasks PATH]...
              a local cluster: coordinator (embedded store unless --redis) and a worker daemon; runs until Ctrl-C
          cluster coordinator [--port P] [--host ADDR] [--redis ADDR] [--data DIR] [--prefix NAME] [--max-payload BYTES] [--lease-ms MS] [--heartbeat-ms MS]
              one coordinator
          cluster worker --coordinator URL [--coordinator URL]... [--processes N] [--threads N] [--coroutines N] [--tasks PATH]...
              the worker daemon of this host: N worker processes, restarted when they die; with several
              coordinators, a worker whose connection breaks dials the next
          cluster demo [--coordinator URL] [--tasks N] [--processes N]
              runs a mixed workload on a local cluster (or on URL) and checks every result
          cluster status --coordinator URL
              workers and queue depths
          cluster dead-letters --coordinator URL [--requeue ID | --purge] [--limit N] [--page N]
              tasks that ran past their retry or lost-run bounds, with every attempt's error

        --redis takes host:port or a StackExchange.Redis configuration string.
        --tasks takes a task assembly (.dll with ITaskModule types); default: the sample tasks.
        --verbose logs at Information level.
        --exit-with-parent stops the command when its standard input reaches end of file (its parent is gone).
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        try
        {
            var rest = args.Skip(1).ToList();
            if (rest.Remove("--exit-with-parent"))
            {
                ParentWatch.Start(stop);
            }
            return args[0] switch
            {
                "up" => await UpCommand.RunAsync(rest, stop.Token),
                "coordinator" => await CoordinatorCommand.RunAsync(rest, stop.Token),
                "worker" => await WorkerCommand.RunDaemonAsync(rest, stop.Token),
                "worker-process" => await WorkerCommand.RunProcessAsync(rest, stop.Token),
                "demo" => await DemoCommand.RunAsync(rest, stop.Token),
                "status" => await StatusCommand.RunAsync(rest, stop.Token),
                "dead-letters" => await DeadLettersCommand.RunAsync(rest, stop.Token),
                _ => throw new UsageException($"Unknown command '{args[0]}'."),
            };
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"cluster: {e.Message}\n\n{Usage}");
            return 2;
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"cluster: {e.Message}");
            return 2;
        }
        catch (Coordinator.StoreUnreachableException e)
        {
            await Console.Error.WriteLineAsync($"cluster: {e.Message}");
            return 1;
        }
    }
}
