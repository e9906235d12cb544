using System.CommandLine;
using System.CommandLine.Invocation;
using System.Runtime.InteropServices;
using Cluster.Cli.Commands;
using Cluster.Cli.Settings;

namespace Cluster.Cli;

/// <summary>
/// The cluster command: parses the command line (<see cref="CliParser"/>, from the declared
/// options), runs the command, and turns any failure into one line on standard error and exit code 1.
/// </summary>
internal static class CliApp
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["help", .. var rest])
        {
            args = [.. rest, "--help"];
        }
        using var telemetry = OtlpExport.Start(args.Length > 0 ? args[0] : "cluster");
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
        SettingValues? current = null;
        var root = CliParser.Build((command, values, cancellationToken) =>
        {
            current = values;
            if (values.Get(ClusterOptions.ExitWithParent))
            {
                ParentWatch.Start(stop);
            }
            JitProfile.Start(command, values);
            return RunAsync(command, values, cancellationToken);
        });
        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            var command = parse.CommandResult.Command is RootCommand ? "cluster" : $"cluster {parse.CommandResult.Command.Name}";
            await Console.Error.WriteLineAsync($"cluster: {parse.Errors[0].Message} See `{command} --help`.");
            return 1;
        }
        try
        {
            // Signals are handled above (and by --exit-with-parent), not by the parser.
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, stop.Token);
        }
        catch (Exception e) when (CommandFailure.Describe(e, current) is { } line)
        {
            await Console.Error.WriteLineAsync($"cluster: {line}");
            if (current?.Get(ClusterOptions.Verbose) == true)
            {
                await Console.Error.WriteLineAsync(e.ToString());
            }
            return 1;
        }
    }

    private static Task<int> RunAsync(CommandNames command, SettingValues values, CancellationToken cancellationToken) => command switch
    {
        CommandNames.Up => UpCommand.RunAsync(values, cancellationToken),
        CommandNames.Coordinator => CoordinatorCommand.RunAsync(values, cancellationToken),
        CommandNames.Worker => WorkerCommand.RunDaemonAsync(values, cancellationToken),
        CommandNames.WorkerProcess => WorkerCommand.RunProcessAsync(values, cancellationToken),
        CommandNames.Demo => DemoCommand.RunAsync(values, cancellationToken),
        CommandNames.Status => StatusCommand.RunAsync(values, cancellationToken),
        CommandNames.Health => HealthCommand.RunAsync(values, cancellationToken),
        CommandNames.DeadLetters => DeadLettersCommand.RunAsync(values, cancellationToken),
        CommandNames.Task => TaskCommand.RunAsync(values, cancellationToken),
        CommandNames.Schedules => SchedulesCommand.RunAsync(values, cancellationToken),
        CommandNames.Secrets => SecretsCommand.RunAsync(values),
        CommandNames.Options => Task.FromResult(OptionsCommand.Run(values)),
        _ => throw new UsageException($"Unknown command {command}."),
    };
}
