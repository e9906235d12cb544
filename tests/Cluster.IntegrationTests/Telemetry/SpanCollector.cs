using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry;

namespace Cluster.IntegrationTests.Telemetry;

/// <summary>Keeps every span this process ends, as an OpenTelemetry processor (safe to read while spans end on other threads).</summary>
public sealed class SpanCollector : BaseProcessor<Activity>
{
    private readonly ConcurrentQueue<Activity> _ended = new();

    public IReadOnlyList<Activity> Ended => [.. _ended];

    public override void OnEnd(Activity data) => _ended.Enqueue(data);
}
