using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Cluster.Cli.Settings;

/// <summary>The cluster command's parser (System.CommandLine), made from <see cref="ClusterOptions"/>.</summary>
internal static class CliParser
{
    public const string Title = "cluster — concurrent.futures on a cluster";

    private static readonly Dictionary<CommandNames, string> Descriptions = new()
    {
        [CommandNames.Up] = "A local cluster: a coordinator (the embedded store unless --redis) and a worker daemon; runs until Ctrl-C.",
        [CommandNames.Coordinator] = "One coordinator.",
        [CommandNames.Worker] = "The worker daemon of this host: N worker processes, restarted when they die; with several coordinators, a worker whose connection breaks dials the next.",
        [CommandNames.Demo] = "Runs a mixed workload on a local cluster (or on --coordinator) and checks every result.",
        [CommandNames.Status] = "Workers and queue depths.",
        [CommandNames.Health] = "Exit code 0 when the coordinator serves (its task store answers), else 1; needs no token: for container healthchecks and scripts.",
        [CommandNames.Task] = "One task of the caller's identity, by its id: its state, its attempts (worker, error) and a preview of its result; finished tasks are known for the coordinator's --retention; with --wait, once it has finished.",
        [CommandNames.Schedules] = "The caller's identity's recurring schedules: `schedules list` (each one's cron, task, next and last tick and its outcome), `schedules remove ID`.",
        [CommandNames.DeadLetters] = "Tasks that ran past their retry or lost-run bounds, with every attempt's error; requeue one, or purge them.",
        [CommandNames.Secrets] = "Writes a tokens file (a client, a worker and an admin identity), one file per token, and a self-signed TLS certificate and key for the coordinator's host names.",
        [CommandNames.Options] = "Every option of every command, its default and its environment variable (--markdown: the README's table).",
        [CommandNames.WorkerProcess] = "One worker process (started by the worker daemon).",
    };

    /// <summary>The root command with every command; <paramref name="run"/> runs one with its checked options.</summary>
    public static RootCommand Build(Func<CommandNames, SettingValues, CancellationToken, Task<int>> run)
    {
        var root = new RootCommand(Title);
        foreach (var command in CommandWords.Public.Select(p => p.Command).Append(CommandNames.WorkerProcess))
        {
            var sub = new Command(CommandWords.Of(command), Descriptions[command]) { Hidden = command == CommandNames.WorkerProcess };
            var options = new Dictionary<Setting, Option>();
            foreach (var setting in ClusterOptions.For(command))
            {
                var option = Create(setting);
                options.Add(setting, option);
                sub.Options.Add(option);
            }
            var id = command == CommandNames.Task ? new Argument<string>("ID") { Description = "the task's id" } : null;
            if (id is not null)
            {
                sub.Arguments.Add(id);
            }
            var action = command == CommandNames.Schedules ? new Argument<string>("ACTION") { Description = "list, or remove" } : null;
            var scheduleId = command == CommandNames.Schedules ? new Argument<string?>("ID") { Description = "the schedule's id (remove)", Arity = ArgumentArity.ZeroOrOne } : null;
            if (action is not null)
            {
                sub.Arguments.Add(action);
                sub.Arguments.Add(scheduleId!);
            }
            sub.SetAction((parse, cancellationToken) =>
            {
                var values = SettingValues.Read(command, parse, options, Environment.GetEnvironmentVariable);
                values.Argument = id is not null ? parse.GetValue(id) : action is not null ? parse.GetValue(action) : null;
                values.SecondArgument = scheduleId is null ? null : parse.GetValue(scheduleId);
                return run(command, values, cancellationToken);
            });
            root.Subcommands.Add(sub);
        }
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new RootHelp((SynchronousCommandLineAction)help.Action!);
        // Taken (and ignored) without a command too, as the test harness passes it to every run.
        root.Options.Add(new Option<bool>(ClusterOptions.ExitWithParent.Flag) { Hidden = true });
        // Without a command: the help, and the exit code of a usage error.
        root.SetAction(parse =>
        {
            root.Parse(["--help"]).Invoke();
            return 1;
        });
        return root;
    }

    private static Option Create(Setting setting)
    {
        var description = Describe(setting);
        if (setting.IsFlag)
        {
            return new Option<bool>(setting.Flag) { Description = description };
        }
        if (setting.Repeatable)
        {
            return new Option<string[]>(setting.Flag) { Description = description, HelpName = setting.ValueName, AllowMultipleArgumentsPerToken = false };
        }
        return new Option<string>(setting.Flag) { Description = description, HelpName = setting.ValueName };
    }

    /// <summary>The help text of an option: what it does, its default, what it takes, its environment variable.</summary>
    public static string Describe(Setting setting)
    {
        var parts = new List<string> { $"default: {setting.DefaultText}" };
        if (setting.RangeText.Length > 0)
        {
            parts.Add(setting.RangeText);
        }
        if (setting.Repeatable)
        {
            parts.Add("repeatable");
        }
        if (setting.EnvironmentVariable is not null)
        {
            parts.Add($"env {setting.EnvironmentVariable}");
        }
        return $"{setting.Help} [{string.Join("; ", parts)}]";
    }

    /// <summary>The usual help; at the root, followed by every option of every command with its default.</summary>
    private sealed class RootHelp(SynchronousCommandLineAction inner) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var code = inner.Invoke(parseResult);
            if (parseResult.CommandResult.Command is RootCommand)
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine("Options of every command (`cluster COMMAND --help` for one command's):");
                output.Write(OptionTable.Text());
            }
            return code;
        }
    }
}
