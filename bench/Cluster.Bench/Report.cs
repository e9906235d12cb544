using System.Globalization;
using System.Text;

namespace Cluster.Bench;

/// <summary>One measured quantity; <see cref="Target"/> is the issue's goal, when it states one.</summary>
internal sealed record Metric(string Name, double? Value, string Unit, string Format = "N0", string? Target = null, bool? Met = null)
{
    public string Display => Value is { } v ? v.ToString(Format, CultureInfo.InvariantCulture) + (Unit.Length > 0 ? " " + Unit : string.Empty) : "n/a";
}

/// <summary>What one scenario measured on one store.</summary>
internal sealed class ScenarioResult(string scenario, string store, string title)
{
    public string Scenario { get; } = scenario;

    public string Store { get; } = store;

    public string Title { get; } = title;

    public Dictionary<string, object> Parameters { get; } = [];

    public List<Metric> Metrics { get; } = [];

    public List<string> Notes { get; } = [];

    public string? Error { get; set; }

    public double Seconds { get; set; }

    public void Add(string name, double? value, string unit, string format = "N0") => Metrics.Add(new Metric(name, value, unit, format));

    /// <summary>Adds a metric with a target: <paramref name="met"/> says whether the value reaches it.</summary>
    public void Add(string name, double? value, string unit, string format, string target, Func<double, bool> met) =>
        Metrics.Add(new Metric(name, value, unit, format, target, value is { } v ? met(v) : null));

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"### {Scenario} — {Store} store");
        text.AppendLine();
        text.AppendLine(Title);
        text.AppendLine();
        if (Parameters.Count > 0)
        {
            text.AppendLine(string.Join(" · ", Parameters.Select(p => $"{p.Key}: {Format(p.Value)}")));
            text.AppendLine();
        }
        if (Metrics.Count > 0)
        {
            var withTargets = Metrics.Any(m => m.Target is not null);
            text.AppendLine(withTargets ? "| metric | value | target | met |" : "| metric | value |");
            text.AppendLine(withTargets ? "| --- | ---: | --- | --- |" : "| --- | ---: |");
            foreach (var m in Metrics)
            {
                text.AppendLine(withTargets
                    ? $"| {m.Name} | {m.Display} | {m.Target ?? ""} | {(m.Met is { } ok ? ok ? "yes" : "**no**" : "")} |"
                    : $"| {m.Name} | {m.Display} |");
            }
            text.AppendLine();
        }
        if (Error is not null)
        {
            text.AppendLine("**FAILED:** " + Error.Replace("\n", "\n    ", StringComparison.Ordinal));
            text.AppendLine();
        }
        foreach (var note in Notes)
        {
            text.AppendLine("- " + note);
        }
        if (Notes.Count > 0)
        {
            text.AppendLine();
        }
        return text.ToString();
    }

    private static string Format(object value) => value switch
    {
        int i => i.ToString("N0", CultureInfo.InvariantCulture),
        long l => l.ToString("N0", CultureInfo.InvariantCulture),
        double d => d.ToString("0.###", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
    };
}
