using System.Diagnostics;
using System.Diagnostics.Metrics;
using Cluster.Contracts;
using Cluster.Protocol.V1;

namespace Cluster.Client.Internal.Telemetry;

/// <summary>
/// What a future knows for tracing and metrics: its submit span (from <see cref="ClusterExecutor.Submit(string, object?[])"/>
/// until a coordinator stores the task), the W3C context it sends with the task, and when it was
/// submitted. A future has none (null) when nobody listens to the <c>Cluster</c> source or meter
/// and no activity is current: then nothing is allocated, timed or sent.
/// </summary>
internal sealed class FutureTrace
{
    private static readonly Histogram<double> Latency = ClusterTelemetry.Meter.CreateHistogram<double>(
        "cluster.task.latency", "s", "Time from a client's submit to its future's resolution (client).", tags: null, ClusterTelemetry.SecondsAdvice);

    private Activity? _submit;

    private FutureTrace(Activity? submit, string parent, string state, long started)
    {
        _submit = submit;
        Parent = parent;
        State = state;
        Started = started;
    }

    /// <summary>The traceparent sent with the task; empty when none.</summary>
    public string Parent { get; }

    /// <summary>The tracestate sent with the task; empty when none.</summary>
    public string State { get; }

    /// <summary>When the task was submitted (Stopwatch ticks); 0 when latency is not measured.</summary>
    public long Started { get; }

    /// <summary>
    /// Starts the submit span of a task (a child of the current activity) when the source has a
    /// listener; else takes the current activity's context, if any, so the worker's span still joins
    /// the caller's trace. Null when there is nothing to trace or measure.
    /// </summary>
    public static FutureTrace? Begin(string id, string name)
    {
        var current = Activity.Current;
        var measure = Latency.Enabled;
        if (current is null && !measure && !ClusterTelemetry.Source.HasListeners())
        {
            return null;
        }
        var span = ClusterTelemetry.Source.StartActivity("cluster.submit", ActivityKind.Producer);
        if (span is not null)
        {
            if (span.IsAllDataRequested)
            {
                span.SetTag(ClusterTelemetry.TaskNameTag, name);
                span.SetTag(ClusterTelemetry.TaskIdTag, id);
            }
            // The span ends when the task is stored, on another thread: the caller's current activity stays its own.
            Activity.Current = current;
        }
        var context = span ?? current;
        if (context is null && !measure)
        {
            return null;
        }
        return new FutureTrace(span, TraceContext.Parent(context), TraceContext.State(context), measure ? Stopwatch.GetTimestamp() : 0);
    }

    /// <summary>Puts the trace context in the task's spec.</summary>
    public void Stamp(TaskSpec spec)
    {
        if (Parent.Length > 0)
        {
            spec.Traceparent = Parent;
            spec.Tracestate = State;
        }
    }

    /// <summary>A coordinator stored the task: the submit span ends.</summary>
    public void Accepted() => Interlocked.Exchange(ref _submit, null)?.Stop();

    /// <summary>
    /// The future resolved: records its latency, ends a submit span still open (the task was refused
    /// or never stored), and, for a completion from the stream, returns a span for its delivery.
    /// </summary>
    public void Resolved(string name, Exception? error, bool cancelled)
    {
        if (Interlocked.Exchange(ref _submit, null) is { } submit)
        {
            if (error is not null)
            {
                submit.SetStatus(ActivityStatusCode.Error, error.Message);
            }
            submit.Stop();
        }
        if (Started != 0)
        {
            Latency.Record(Stopwatch.GetElapsedTime(Started).TotalSeconds,
                new KeyValuePair<string, object?>(ClusterTelemetry.TaskNameTag, name),
                new KeyValuePair<string, object?>("cluster.task.outcome", cancelled ? "cancelled" : error is null ? "ok" : "error"));
        }
    }

    /// <summary>A span for the client's receipt of the task's completion: a child of the submit span. Null when not traced.</summary>
    public Activity? Receive(Completion completion, string name)
    {
        if (Parent.Length == 0)
        {
            return null;
        }
        var span = ClusterTelemetry.Source.StartActivity("cluster.complete", ActivityKind.Consumer, TraceContext.Parse(Parent, State));
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(ClusterTelemetry.TaskNameTag, name);
            span.SetTag(ClusterTelemetry.TaskIdTag, completion.TaskId);
            span.SetTag(ClusterTelemetry.AttemptTag, completion.Attempt);
            if (completion.OutcomeCase == Completion.OutcomeOneofCase.Error)
            {
                span.SetStatus(ActivityStatusCode.Error, completion.Error.Type);
            }
        }
        return span;
    }
}
