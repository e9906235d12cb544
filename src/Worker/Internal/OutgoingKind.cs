namespace Cluster.Worker.Internal;

/// <summary>What one item queued for the coordinator is.</summary>
internal enum OutgoingKind
{
    /// <summary>One task's result; its slot's credit travels with it.</summary>
    Result,
    /// <summary>Send the started and progress notices gathered so far.</summary>
    Notices,
    /// <summary>The process is draining: leased tasks handed back unstarted.</summary>
    Released,
    /// <summary>A heartbeat.</summary>
    Heartbeat,
    /// <summary>The drain is over: send what is queued before it, then end the request stream.</summary>
    Close,
}
