namespace Cluster.Coordinator.Internal.Security;

/// <summary>The role each gRPC service needs, from the call's path (<c>/cluster.v1.Admin/Status</c>).</summary>
internal static class ServiceRoles
{
    private const string HealthService = "/grpc.health.v1.Health/";

    /// <summary>
    /// True for the calls every caller may make without a token: grpc.health.v1 (a load balancer or
    /// an orchestrator's probe holds no token; the answer says only SERVING or NOT_SERVING).
    /// </summary>
    public static bool IsOpen(string path) => path.StartsWith(HealthService, StringComparison.Ordinal);

    /// <summary>The role needed (any one of them, when several); <see cref="ClusterRole.None"/> for a path of no cluster service (any identity may call it, and gRPC answers UNIMPLEMENTED).</summary>
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
            "cluster.v1.Tasks" or "cluster.v1.Schedules" => ClusterRole.Client,
            "cluster.v1.Workers" => ClusterRole.Worker,
            "cluster.v1.Admin" => ClusterRole.Admin,
            // Shared by clients and task handlers: either role opens it.
            "cluster.v1.ItemQueues" => ClusterRole.Client | ClusterRole.Worker,
            // What the server offers, its methods and messages: for operators.
            "grpc.reflection.v1alpha.ServerReflection" or "grpc.reflection.v1.ServerReflection" => ClusterRole.Admin,
            _ => ClusterRole.None,
        };
    }
}
