using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;

namespace Cluster.Cli.Settings;

/// <summary>
/// One command-line option, declared once (<see cref="ClusterOptions"/>): its name, the commands
/// that take it, its default, its allowed values, its help, its environment variable and the
/// options-class properties it sets. The parser, `--help`, the validation and the README's option
/// table are all made from it.
/// </summary>
internal abstract class Setting
{
    private protected Setting(string name, string help, CommandNames commands, string? valueName)
    {
        Name = name;
        Help = help;
        Commands = commands;
        ValueName = valueName;
        EnvironmentVariable = "CLUSTER_" + name.ToUpperInvariant().Replace('-', '_');
    }

    /// <summary>The option without its dashes, e.g. "port".</summary>
    public string Name { get; }

    /// <summary>The option as typed, e.g. "--port".</summary>
    public string Flag => "--" + Name;

    public string Help { get; }

    public CommandNames Commands { get; }

    /// <summary>The placeholder of its value in help, e.g. "P"; null for a flag, which takes no value.</summary>
    public string? ValueName { get; }

    public bool IsFlag => ValueName is null;

    /// <summary>Given more than once, every value counts (e.g. --tasks A --tasks B).</summary>
    public bool Repeatable { get; private protected set; }

    /// <summary>The command cannot run without it.</summary>
    public bool Required { get; private protected set; }

    /// <summary>Read when the option is not on the command line (CLUSTER_ and the name); null for none.</summary>
    public string? EnvironmentVariable { get; private protected set; }

    /// <summary>Shown in help and the README, e.g. "5050", "CPU count", "none: the embedded store".</summary>
    public abstract string DefaultText { get; }

    /// <summary>What the option takes, e.g. "0 to 65535"; empty when any text will do.</summary>
    public abstract string RangeText { get; }

    /// <summary>The options-class properties it sets, e.g. "CoordinatorOptions.Port"; empty for none.</summary>
    public abstract string TargetText { get; }

    /// <summary>Reads one value; throws a <see cref="UsageException"/> naming the option and what it takes.</summary>
    /// <param name="source">Where the text came from, for the message: null for the command line, else the environment variable.</param>
    internal abstract object? Convert(string text, string? source);

    internal abstract object? DefaultValue();

    /// <summary>Sets the properties of <paramref name="options"/> this setting is bound to (none when the type differs).</summary>
    internal abstract void Apply(object options, object? value);

    // ---- the kinds of option ----

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Setting<int> Int(string name, string help, CommandNames commands, int min, int max, string valueName = "N") =>
        new(name, help, commands, valueName,
            (string text, out int value) => int.TryParse(Clean(text), NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= min && value <= max,
            $"a whole number from {min} to {max}", $"{min} to {Number(max)}", v => v.ToString(CultureInfo.InvariantCulture));

    /// <inheritdoc cref="Int"/>
    public static Setting<long> Long(string name, string help, CommandNames commands, long min, long max, string valueName = "N") =>
        new(name, help, commands, valueName,
            (string text, out long value) => long.TryParse(Clean(text), NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= min && value <= max,
            $"a whole number from {min} to {max}", $"{min} to {Number(max)}", v => v.ToString(CultureInfo.InvariantCulture));

    /// <summary>A duration given in whole milliseconds.</summary>
    public static Setting<TimeSpan> Milliseconds(string name, string help, CommandNames commands, int min, int max) =>
        new(name, help, commands, "MS",
            (string text, out TimeSpan value) => Whole(text, min, max, TimeSpan.FromMilliseconds, out value),
            $"a whole number of milliseconds from {min} to {max}", $"{min} to {Number(max)} ms", v => ((long)v.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));

    /// <summary>A duration given in whole seconds.</summary>
    public static Setting<TimeSpan> Seconds(string name, string help, CommandNames commands, int min, int max) =>
        new(name, help, commands, "S",
            (string text, out TimeSpan value) => Whole(text, min, max, TimeSpan.FromSeconds, out value),
            $"a whole number of seconds from {min} to {max}", $"{min} to {Number(max)} s", v => ((long)v.TotalSeconds).ToString(CultureInfo.InvariantCulture));

    /// <summary>Any text that is not blank.</summary>
    public static Setting<string?> Text(string name, string help, CommandNames commands, string valueName) =>
        new(name, help, commands, valueName,
            (string text, out string? value) => !string.IsNullOrWhiteSpace(value = text),
            "a value that is not blank", string.Empty, v => v ?? "none");

    /// <summary>A file or directory, made absolute (relative to the working directory).</summary>
    public static Setting<string?> FilePath(string name, string help, CommandNames commands, string valueName = "FILE") =>
        new(name, help, commands, valueName,
            (string text, out string? value) => !string.IsNullOrWhiteSpace(value = text) && TryFullPath(text, out value),
            "a path", string.Empty, v => v ?? "none");

    /// <summary>A coordinator address: http://, https://, or dns:///host:port (every address the name resolves to, round-robin).</summary>
    public static Setting<Uri?> Url(string name, string help, CommandNames commands) =>
        new(name, help, commands, "URL",
            (string text, out Uri? value) => Uri.TryCreate(text, UriKind.Absolute, out value) && Contracts.ClusterChannel.IsAddress(value),
            Contracts.ClusterChannel.AddressForms, "http://, https:// or dns:/// address", v => v?.ToString() ?? "none");

    /// <summary>A port from 0 to 65535 (0 picks a free one), or none to turn it off.</summary>
    public static Setting<int?> PortOrNone(string name, string help, CommandNames commands) =>
        new(name, help, commands, "P",
            (string text, out int? value) => TryPortOrNone(text, out value),
            "a port from 0 to 65535 (0 picks a free one) or none", "0 to 65535, or none", v => v?.ToString(CultureInfo.InvariantCulture) ?? "none");

    private static bool TryPortOrNone(string text, out int? value)
    {
        value = null;
        if (text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        var ok = int.TryParse(Clean(text), NumberStyles.Integer, CultureInfo.InvariantCulture, out var port) && port >= 0 && port <= 65535;
        value = ok ? port : null;
        return ok;
    }

    /// <summary>An option without a value: on when given (or 1, true, yes in its environment variable).</summary>
    public static Setting<bool> Switch(string name, string help, CommandNames commands) =>
        new(name, help, commands, null,
            (string text, out bool value) => TrySwitch(text, out value),
            "1, true, yes, 0, false or no", string.Empty, v => v ? "on" : "off");

    private static bool TrySwitch(string text, out bool value)
    {
        var word = text.Trim().ToLowerInvariant();
        value = word is "1" or "true" or "yes" or "on";
        return value || word is "0" or "false" or "no" or "off" or "";
    }

    private static string Clean(string text) => text.Trim().Replace("_", string.Empty, StringComparison.Ordinal);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static bool Whole(string text, int min, int max, Func<double, TimeSpan> unit, out TimeSpan value)
    {
        var ok = int.TryParse(Clean(text), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max;
        value = ok ? unit(number) : default;
        return ok;
    }

    private static bool TryFullPath(string text, out string? value)
    {
        try
        {
            value = Path.GetFullPath(text);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            value = null;
            return false;
        }
    }
}

/// <summary>Parses the text of an option; false when it is not an allowed value.</summary>
internal delegate bool SettingParser<T>(string text, out T value);

/// <summary>A <see cref="Setting"/> whose value is a <typeparamref name="T"/>.</summary>
internal sealed class Setting<T> : Setting
{
    private readonly SettingParser<T> _parse;
    private readonly string _expected;
    private readonly Func<T, string> _format;
    private readonly List<(Type Options, PropertyInfo Property)> _bindings = [];
    private Func<T>? _default;
    private string? _defaultText;

    internal Setting(string name, string help, CommandNames commands, string? valueName, SettingParser<T> parse, string expected, string range, Func<T, string> format)
        : base(name, help, commands, valueName)
    {
        _parse = parse;
        _expected = expected;
        _format = format;
        RangeText = range;
    }

    public override string RangeText { get; }

    public override string DefaultText => _defaultText ?? (Required ? "required" : _format(Default()));

    public override string TargetText => string.Join(", ", _bindings.Select(b => $"{b.Options.Name}.{b.Property.Name}"));

    /// <summary>
    /// Binds the option to a property of an options class. Unless <see cref="WithDefault"/> says
    /// otherwise, the default is that property's value on a new instance, so it is written once.
    /// </summary>
    public Setting<T> Sets<TOptions>(Expression<Func<TOptions, T>> property)
        where TOptions : new()
    {
        var info = (PropertyInfo)((MemberExpression)property.Body).Member;
        _bindings.Add((typeof(TOptions), info));
        _default ??= () => (T)info.GetValue(new TOptions())!;
        return this;
    }

    /// <summary>The value when the option is not given; <paramref name="text"/> says it in help when the value depends on the machine.</summary>
    public Setting<T> WithDefault(T value, string? text = null)
    {
        _default = () => value;
        _defaultText = text;
        return this;
    }

    /// <summary>How help and the README describe the default, e.g. "none: the embedded store".</summary>
    public Setting<T> Shown(string text)
    {
        _defaultText = text;
        return this;
    }

    /// <summary>Without an environment variable (an action such as --purge, not a setting).</summary>
    public Setting<T> CommandLineOnly()
    {
        EnvironmentVariable = null;
        return this;
    }

    /// <summary>Reads <paramref name="variable"/> instead of CLUSTER_ and the name.</summary>
    public Setting<T> FromEnvironment(string variable)
    {
        EnvironmentVariable = variable;
        return this;
    }

    /// <summary>Given more than once, every value counts; its environment variable holds them comma-separated.</summary>
    public Setting<T> Repeated()
    {
        Repeatable = true;
        return this;
    }

    /// <summary>The command cannot run without it.</summary>
    public Setting<T> Mandatory()
    {
        Required = true;
        return this;
    }

    public T Default() => _default is null ? default! : _default();

    internal override object? DefaultValue() => Default();

    internal override object? Convert(string text, string? source)
    {
        if (_parse(text, out var value))
        {
            return value;
        }
        var from = source is null ? string.Empty : $" (from {source})";
        throw new UsageException($"{Flag} must be {_expected}, not '{text}'{from}.");
    }

    internal override void Apply(object options, object? value)
    {
        foreach (var (type, property) in _bindings)
        {
            if (type == options.GetType())
            {
                property.SetValue(options, value);
            }
        }
    }
}
