using System.Diagnostics;
using System.Globalization;
using Cluster.Contracts;
using Cluster.Protocol.V1;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Telemetry;

/// <summary>
/// A traced task's W3C context as the store keeps it beside the task, "traceparent submitted-unix-ms
/// tracestate", handed to the worker with each lease; and the span of its wait in the queue, from
/// its submit to its lease, which this coordinator records when the lease is made.
/// </summary>
internal static class StoredTrace
{
    /// <summary>The longest traceparent (version 00 is 55 characters) and tracestate (W3C: 512) a submit may carry.</summary>
    public const int MaxParentLength = 55;
    public const int MaxStateLength = 512;

    /// <summary>Null when the task's trace context is absent or well-formed; else what is wrong with it.</summary>
    public static string? Problem(TaskSpec task)
    {
        if (task.Traceparent.Length == 0)
        {
            return task.Tracestate.Length == 0 ? null : "tracestate is set without traceparent.";
        }
        if (task.Traceparent.Length > MaxParentLength || !ActivityContext.TryParse(task.Traceparent, null, out _))
        {
            return $"traceparent '{(task.Traceparent.Length > MaxParentLength ? task.Traceparent[..MaxParentLength] + "..." : task.Traceparent)}' is not a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>).";
        }
        if (task.Tracestate.Length > MaxStateLength)
        {
            return $"tracestate is {task.Tracestate.Length} characters long; the limit is {MaxStateLength}.";
        }
        return null;
    }

    /// <summary>What the store keeps for <paramref name="task"/>: empty when it is not traced (nothing is written then).</summary>
    public static RedisValue Encode(TaskSpec task) =>
        task.Traceparent.Length == 0
            ? RedisValue.EmptyString
            : string.Create(CultureInfo.InvariantCulture, $"{task.Traceparent} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} {task.Tracestate}");

    /// <summary>
    /// Puts a leased task's stored context in its assignment and, when this coordinator's spans are
    /// listened to, records the task's wait in its queue as a child of its submit span.
    /// </summary>
    public static void Apply(Assignment assignment, string stored)
    {
        var first = stored.IndexOf(' ', StringComparison.Ordinal);
        var second = first < 0 ? -1 : stored.IndexOf(' ', first + 1);
        if (second < 0)
        {
            return;
        }
        assignment.Traceparent = stored[..first];
        assignment.Tracestate = stored[(second + 1)..];
        if (!ClusterTelemetry.Source.HasListeners()
            || !long.TryParse(stored.AsSpan(first + 1, second - first - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var submitted))
        {
            return;
        }
        var parent = TraceContext.Parse(assignment.Traceparent, assignment.Tracestate);
        using var span = ClusterTelemetry.Source.StartActivity("cluster.queue", ActivityKind.Internal, parent, startTime: DateTimeOffset.FromUnixTimeMilliseconds(submitted));
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(ClusterTelemetry.TaskNameTag, assignment.Name);
            span.SetTag(ClusterTelemetry.TaskIdTag, assignment.TaskId);
            span.SetTag(ClusterTelemetry.AttemptTag, assignment.Attempt);
        }
    }
}
