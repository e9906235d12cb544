using Cluster.Coordinator.Internal.Store;
using Cluster.Protocol.V1;
using Grpc.Core;

namespace Cluster.Coordinator.Internal.Services;

internal sealed class AdminService(TaskStore store) : Admin.AdminBase
{
    public override async Task<StatusReply> Status(StatusRequest request, ServerCallContext context)
    {
        var reply = await store.StatusAsync().ConfigureAwait(false);
        return reply;
    }

    public override async Task<DeadLettersReply> DeadLetters(DeadLettersRequest request, ServerCallContext context)
    {
        if (request.Requeue.Length > 0 && Validation.StoredIdentifier("task id", request.Requeue) is { } problem)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, problem));
        }
        return await store.DeadLettersAsync(request).ConfigureAwait(false);
    }
}
