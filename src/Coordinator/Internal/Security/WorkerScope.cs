using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal.Security;

/// <summary>A worker identity limited by <c>names=</c> may declare only those task names.</summary>
internal static class WorkerScope
{
    /// <summary>Null when the identity may serve every handler the hello declares; else why not.</summary>
    public static string? Problem(CallerIdentity identity, Hello hello)
    {
        if (identity.TaskNames is not { } allowed)
        {
            return null;
        }
        var outside = hello.Handlers.Select(h => h.Name).Where(n => !allowed.Contains(n)).ToList();
        return outside.Count == 0 ? null
            : $"identity '{identity.Name}' may serve only the task names {string.Join(", ", allowed.Order(StringComparer.Ordinal))}; this hello declares {string.Join(", ", outside.Take(10))}{(outside.Count > 10 ? $" and {outside.Count - 10} more" : string.Empty)}.";
    }
}
