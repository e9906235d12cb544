using System.Diagnostics;

namespace Cluster.Contracts;

/// <summary>W3C trace context as it travels in a task: the <c>traceparent</c> and <c>tracestate</c> strings.</summary>
internal static class TraceContext
{
    /// <summary>The traceparent of <paramref name="activity"/>; empty when there is none.</summary>
    public static string Parent(Activity? activity) =>
        activity is null || activity.IdFormat != ActivityIdFormat.W3C ? string.Empty : activity.Id ?? string.Empty;

    /// <summary>The tracestate of <paramref name="activity"/>; empty when there is none.</summary>
    public static string State(Activity? activity) => activity?.TraceStateString ?? string.Empty;

    /// <summary>The context a traceparent names; default when it is empty or malformed (then the span starts a trace of its own).</summary>
    public static ActivityContext Parse(string traceparent, string tracestate) =>
        traceparent.Length > 0 && ActivityContext.TryParse(traceparent, tracestate.Length > 0 ? tracestate : null, isRemote: true, out var context)
            ? context
            : default;
}
