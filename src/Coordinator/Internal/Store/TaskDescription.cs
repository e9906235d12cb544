using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>What the store holds of one task, for an admin looking it up by id.</summary>
/// <param name="Header">Its header while it is queued, leased or waiting out a retry backoff; else null.</param>
/// <param name="ArgsBytes">The size of its JSON arguments (0 when none are kept).</param>
/// <param name="ArgsPreview">The start of its arguments.</param>
/// <param name="Errors">Every attempt's error so far, oldest first.</param>
/// <param name="DeadLetter">Its dead letter, when it was dead-lettered; else null.</param>
internal sealed record TaskDescription(Header? Header, long ArgsBytes, string ArgsPreview, IReadOnlyList<TaskError> Errors, DeadLetter? DeadLetter);
