using System.Globalization;
using Cluster.Contracts;

namespace Cluster.Cli;

/// <summary>The command line after the command name: <c>--name value</c> options, repeatable, and flags.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public Arguments(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new UsageException($"Unexpected argument '{arg}'.");
            }
            var name = arg[2..];
            string value;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else if (flags.Contains(name))
            {
                value = "true";
            }
            else if (e.MoveNext())
            {
                value = e.Current;
            }
            else
            {
                throw new UsageException($"Option --{name} needs a value.");
            }
            if (!_values.TryGetValue(name, out var list))
            {
                _values[name] = list = [];
            }
            list.Add(value);
        }
    }

    public string? String(string name)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var list) ? list[^1] : null;
    }

    public IReadOnlyList<string> All(string name)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var list) ? list : [];
    }

    public bool Flag(string name) => String(name) is "true" or "1" or "yes";

    public int Int(string name, int fallback, int min, int max)
    {
        var text = String(name);
        if (text is null)
        {
            return fallback;
        }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new UsageException($"--{name} must be a whole number from {min} to {max}, not '{text}'.");
        }
        return value;
    }

    public Uri Url(string name, string? fallback = null)
    {
        var text = String(name) ?? fallback ?? throw new UsageException($"--{name} is required (e.g. --{name} http://127.0.0.1:5050).");
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || !ClusterChannel.IsAddress(uri))
        {
            throw new UsageException($"--{name} must be {ClusterChannel.AddressForms}, not '{text}'.");
        }
        return uri;
    }

    /// <summary>Every value of a repeatable address option; at least one.</summary>
    public IReadOnlyList<Uri> Urls(string name)
    {
        var texts = All(name);
        if (texts.Count == 0)
        {
            return [Url(name)];
        }
        return texts.Select(text => Uri.TryCreate(text, UriKind.Absolute, out var uri) && ClusterChannel.IsAddress(uri)
            ? uri
            : throw new UsageException($"--{name} must be {ClusterChannel.AddressForms}, not '{text}'.")).ToList();
    }

    /// <summary>Fails on any option the command did not read: a typo must not be ignored silently.</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"Unknown option --{unknown[0]}.");
        }
    }
}

internal sealed class UsageException(string message) : Exception(message);
