using Cluster.Coordinator.Internal.Security;
using Cluster.Protocol.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Coordinator.Internal.Services;

internal sealed partial class TasksService
{
    /// <summary>
    /// Submit over one long-lived call: each batch is stored as <see cref="Submit"/> stores it and
    /// answered in the order sent, with no call set up per batch. What Submit would end its call
    /// with goes into the batch's reply, and the stream goes on; a store fault ends the stream (the
    /// client sends the unanswered batches again, as after Submit's UNAVAILABLE).
    /// </summary>
    public override async Task SubmitStream(IAsyncStreamReader<SubmitRequest> requestStream, IServerStreamWriter<SubmitReply> responseStream, ServerCallContext context)
    {
        var http = context.GetHttpContext();
        var authentication = SecuritySettings.Authenticates(options) ? http.RequestServices.GetRequiredService<TokenAuthentication>() : null;
        while (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            // A token rotated out of the tokens file since the stream opened submits nothing more.
            if (authentication?.Recheck(http) is { } refused)
            {
                throw refused;
            }
            SubmitReply reply;
            try
            {
                reply = await Submit(requestStream.Current, context).ConfigureAwait(false);
            }
            catch (RpcException e) when (!context.CancellationToken.IsCancellationRequested)
            {
                reply = new SubmitReply { Status = e.StatusCode.ToString(), StatusMessage = e.Status.Detail };
            }
            await responseStream.WriteAsync(reply, context.CancellationToken).ConfigureAwait(false);
        }
    }
}
