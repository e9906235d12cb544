namespace Cluster.Coordinator.Internal.Security;

/// <summary>The role each gRPC service needs, from the call's path (<c>/cluster.v1.Admin/Status</c>).</summary>
internal static class ServiceRoles
{
    /// <summary>The role needed; <see cref="ClusterRole.None"/> for a path of no cluster service (any identity may call it, and gRPC answers UNIMPLEMENTED).</summary>
    public static ClusterRole Required(string path)
    {
        var span = path.AsSpan();
        if (span.StartsWith("/"))
        {
            span = span[1..];
        }
        var slash = span.IndexOf('/');
        var service = slash < 0 ? span : span[..slash];
        return service switch
        {
            "cluster.v1.Tasks" => ClusterRole.Client,
            "cluster.v1.Workers" => ClusterRole.Worker,
            "cluster.v1.Admin" => ClusterRole.Admin,
            _ => ClusterRole.None,
        };
    }
}
