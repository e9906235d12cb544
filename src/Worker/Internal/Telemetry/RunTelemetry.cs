using System.Diagnostics;
using Cluster.Contracts;
using Cluster.Protocol.V1;
using Microsoft.Extensions.Logging;

namespace Cluster.Worker.Internal.Telemetry;

/// <summary>
/// One task run's span and logging scope, from the handler's start to its end, on the thread (or
/// the coroutine) that runs it: the span is a child of the client's submit span when the task came
/// with a trace context (<see cref="Assignment.Traceparent"/>), and it is the current activity of the
/// handler, so the handler's own spans (HTTP calls, queries) join the task's trace. The scope puts
/// the task id, name and attempt on every log line the handler writes. With nobody listening to the
/// <c>Cluster</c> source there is no span.
/// </summary>
internal readonly struct RunTelemetry : IDisposable
{
    private readonly Activity? _span;
    private readonly IDisposable? _scope;

    private RunTelemetry(Activity? span, IDisposable? scope)
    {
        _span = span;
        _scope = scope;
    }

    public static RunTelemetry Begin(ILogger logger, Assignment assignment)
    {
        var scope = logger.BeginScope(new RunScope(assignment.TaskId, assignment.Name, assignment.Attempt));
        if (!ClusterTelemetry.Source.HasListeners())
        {
            return new RunTelemetry(null, scope);
        }
        var span = ClusterTelemetry.Source.StartActivity("cluster.run", ActivityKind.Consumer, TraceContext.Parse(assignment.Traceparent, assignment.Tracestate));
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(ClusterTelemetry.TaskNameTag, assignment.Name);
            span.SetTag(ClusterTelemetry.TaskIdTag, assignment.TaskId);
            span.SetTag(ClusterTelemetry.AttemptTag, assignment.Attempt);
        }
        return new RunTelemetry(span, scope);
    }

    /// <summary>The handler threw: the span says so.</summary>
    public void Failed(Exception error)
    {
        if (_span is { IsAllDataRequested: true })
        {
            _span.SetStatus(ActivityStatusCode.Error, error.GetType().FullName);
            _span.AddException(error);
        }
    }

    public void Dispose()
    {
        _span?.Dispose();
        _scope?.Dispose();
    }
}
