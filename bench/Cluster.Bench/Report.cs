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

    /// <summary>Which pass of the run this is (1 when the scenarios ran once).</summary>
    public int Pass { get; init; } = 1;

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

/// <summary>One scenario on one store over several passes: each metric's spread, and how often its target was met.</summary>
internal static class PassSummary
{
    public static string ToMarkdown(IReadOnlyList<ScenarioResult> passes)
    {
        var first = passes[0];
        var measured = passes.Where(p => p.Error is null).ToList();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"### {first.Scenario} — {first.Store} store, over {passes.Count} passes");
        text.AppendLine();
        if (measured.Count < passes.Count)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Failed and left out: pass {string.Join(", ", passes.Where(p => p.Error is not null).Select(p => p.Pass))}.");
            text.AppendLine();
        }
        if (measured.Count == 0)
        {
            return text.ToString();
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"Load average at the start of each pass: {string.Join(" · ", measured.Select(p => Convert.ToString(p.Parameters.GetValueOrDefault("load average at start"), CultureInfo.InvariantCulture)?.Split(' ')[0]))}");
        text.AppendLine();
        text.AppendLine("| metric | lowest | median | highest | target | met |");
        text.AppendLine("| --- | ---: | ---: | ---: | --- | --- |");
        // A metric is matched by its name over the passes, in the order the first measured pass has them.
        foreach (var name in measured.SelectMany(p => p.Metrics).Select(m => m.Name).Distinct())
        {
            var metrics = measured.Select(p => p.Metrics.FirstOrDefault(m => m.Name == name)).OfType<Metric>().ToList();
            var values = metrics.Where(m => m.Value is not null).OrderBy(m => m.Value).ToList();
            var target = metrics.Select(m => m.Target).FirstOrDefault(t => t is not null);
            var judged = metrics.Where(m => m.Met is not null).ToList();
            // Out of the passes that judged it; a pass without a value (n/a) is named, not counted.
            var met = judged.Count == 0 ? "" : $"{judged.Count(m => m.Met == true)} of {judged.Count}" + (judged.Count < measured.Count ? $" ({measured.Count - judged.Count} n/a)" : "");
            text.AppendLine(values.Count == 0
                ? $"| {name} | n/a | n/a | n/a | {target ?? ""} | {met} |"
                : $"| {name} | {values[0].Display} | {Median(values).Display} | {values[^1].Display} | {target ?? ""} | {met} |");
        }
        text.AppendLine();
        return text.ToString();
    }

    /// <summary>The middle one of an odd count; the mean of the two middle ones of an even count.</summary>
    private static Metric Median(List<Metric> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : sorted[sorted.Count / 2] with { Value = (sorted[sorted.Count / 2 - 1].Value + sorted[sorted.Count / 2].Value) / 2 };
}
