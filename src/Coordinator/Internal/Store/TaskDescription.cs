using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>What the store holds of one task, for an admin looking it up by id.</summary>
/// <param name="Header">Its header while it is queued, leased or waiting out a retry backoff; else null.</param>
/// <param name="ArgsBytes">The size of its JSON arguments (0 when none are kept).</param>
/// <param name="ArgsPreview">The start of its arguments.</param>
/// <param name="Errors">Every attempt's error so far, oldest first.</param>
/// <param name="DeadLetter">Its dead letter, when it was dead-lettered; else null.</param>
internal sealed record TaskDescription(Header? Header, long ArgsBytes, string ArgsPreview, IReadOnlyList<TaskError> Errors, DeadLetter? DeadLetter)
{
    /// <summary>The worker that ran each attempt of <see cref="Errors"/>, in order ("" when the store did not note it).</summary>
    public IReadOnlyList<string> ErrorWorkers { get; init; } = [];

    /// <summary>Its completion, kept for the retention once it finished (completed, failed or cancelled); else null.</summary>
    public Completion? Outcome { get; init; }

    /// <summary>When it finished (Unix ms, the store's clock), while its completion is kept; else null.</summary>
    public long? FinishedAtMs { get; init; }

    /// <summary>When it was submitted (Unix ms), when the store noted it: a traced task, or one sampled for the dashboard's latency and not finished yet; else null.</summary>
    public long? SubmittedAtMs { get; init; }
}
