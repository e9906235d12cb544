using System.CommandLine;

namespace Cluster.Cli.Settings;

/// <summary>
/// The options of one run of a command: each from the command line, else from its environment
/// variable, else its default. Every value is read and checked before the command starts, so a bad
/// one stops it with one line naming the option and what it takes.
/// </summary>
internal sealed class SettingValues
{
    private readonly Dictionary<Setting, List<object?>> _given = [];
    private readonly HashSet<Setting> _onCommandLine = [];

    private SettingValues(CommandNames command) => Command = command;

    public CommandNames Command { get; }

    /// <summary>The command's positional argument (the task id of <c>cluster task ID</c>); null for the others.</summary>
    public string? Argument { get; set; }

    /// <summary>The command's second argument (the schedule's id of `schedules remove ID`), if any.</summary>
    public string? SecondArgument { get; set; }

    /// <summary>Reads and checks every option <paramref name="command"/> takes.</summary>
    /// <exception cref="UsageException">A value is not allowed, or a required option is missing.</exception>
    public static SettingValues Read(CommandNames command, ParseResult parse, IReadOnlyDictionary<Setting, Option> options, Func<string, string?> environment)
    {
        var values = new SettingValues(command);
        foreach (var (setting, option) in options)
        {
            var (texts, source) = (CommandLineTexts(parse, setting, option), (string?)null);
            if (texts.Count > 0)
            {
                values._onCommandLine.Add(setting);
            }
            else if (setting.EnvironmentVariable is { } variable && environment(variable) is { Length: > 0 } text)
            {
                texts = setting.Repeatable ? text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [text];
                source = variable;
            }
            if (texts.Count > 0)
            {
                values._given[setting] = texts.Select(t => setting.Convert(t, source)).ToList();
            }
            else if (setting.Required)
            {
                var or = setting.EnvironmentVariable is null ? string.Empty : $" (or set {setting.EnvironmentVariable})";
                throw new UsageException($"{setting.Flag} is required{or}; see `cluster {CommandWords.Of(command)} --help`.");
            }
        }
        return values;
    }

    private static IReadOnlyList<string> CommandLineTexts(ParseResult parse, Setting setting, Option option)
    {
        if (parse.GetResult(option) is null)
        {
            return [];
        }
        return option switch
        {
            // A flag given without a value is on.
            Option<bool> flag => [parse.GetValue(flag) ? "true" : "false"],
            Option<string[]> many => parse.GetValue(many) ?? [],
            Option<string> one => parse.GetValue(one) is { } text ? [text] : [],
            _ => throw new InvalidOperationException($"{setting.Flag}: unexpected option type {option.GetType()}."),
        };
    }

    /// <summary>The value: given, else the default.</summary>
    public T Get<T>(Setting<T> setting) => _given.TryGetValue(setting, out var list) ? (T)list[^1]! : setting.Default();

    /// <summary>Every value of a repeatable option; empty when none was given.</summary>
    public IReadOnlyList<T> All<T>(Setting<T> setting) => _given.TryGetValue(setting, out var list) ? list.Select(v => (T)v!).ToList() : [];

    /// <summary>Given on the command line or in the environment.</summary>
    public bool IsGiven(Setting setting) => _given.ContainsKey(setting);

    /// <summary>Given on the command line (which wins over the environment).</summary>
    public bool OnCommandLine(Setting setting) => _onCommandLine.Contains(setting);

    /// <summary>Sets every property of <paramref name="options"/> that a given option is bound to; the others keep their defaults.</summary>
    public TOptions Bind<TOptions>(TOptions options)
        where TOptions : notnull
    {
        foreach (var (setting, list) in _given.Where(g => !g.Key.Repeatable))
        {
            setting.Apply(options, list[^1]);
        }
        return options;
    }
}
