using Grpc.Core;

namespace Cluster.Coordinator.Internal.Security;

/// <summary>
/// Who made a call, as the coordinator authenticated it. Without a tokens file every call is the
/// one anonymous identity (<see cref="Name"/> empty) with every role.
/// </summary>
internal sealed record CallerIdentity(string Name, IReadOnlySet<string>? TaskNames)
{
    /// <summary>The identity of every call when no tokens are configured.</summary>
    public static CallerIdentity Anonymous { get; } = new(string.Empty, null);

    /// <summary>The key under which the authentication step leaves the identity in the call's HttpContext.Items.</summary>
    public const string ItemKey = "cluster.identity";

    /// <summary>
    /// The separator between an identity's name and the session, task id or idempotency key it
    /// scopes: a character no identifier may hold, so a scoped name parses one way only.
    /// </summary>
    public const char ScopeSeparator = '|';

    /// <summary>The identity the authentication step attached to this call.</summary>
    public static CallerIdentity Of(ServerCallContext context) =>
        context.GetHttpContext().Items.TryGetValue(ItemKey, out var value) && value is CallerIdentity identity ? identity : Anonymous;

    /// <summary>May this worker identity take tasks of this name? (No list: every name.)</summary>
    public bool MayServe(string taskName) => TaskNames is null || TaskNames.Contains(taskName);
}
