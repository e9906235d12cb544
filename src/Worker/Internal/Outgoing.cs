using Cluster.Protocol.V1;

namespace Cluster.Worker.Internal;

/// <summary>One item queued for the coordinator, tagged with the connection (generation) it belongs to.</summary>
/// <param name="Kind">What the item is: a result, a heartbeat, a notices marker, released tasks or the drain.</param>
/// <param name="Generation">The connection it belongs to; the sender of another drops it.</param>
/// <param name="Result">The task's result, for a result.</param>
/// <param name="Slot">The kind of slot whose credit goes back when the result is sent; null for a result that held no slot.</param>
/// <param name="Released">The ids of the tasks handed back unstarted, for a release.</param>
internal sealed record Outgoing(OutgoingKind Kind, int Generation, TaskResult? Result = null, Executor? Slot = null, IReadOnlyList<string>? Released = null)
{
    public static readonly Outgoing Heartbeat = new(OutgoingKind.Heartbeat, 0);

    /// <summary>Send the notices gathered so far, those of the sender's own connection.</summary>
    public static readonly Outgoing Notices = new(OutgoingKind.Notices, 0);

    /// <summary>Ends the request stream once everything queued before it is sent.</summary>
    public static readonly Outgoing Close = new(OutgoingKind.Close, 0);
}
