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
    /// with (a refusal of the batch, a store fault) goes into the batch's reply, and the stream goes
    /// on. The stream ends with a status only for what concerns every batch on it: a refused token,
    /// a malformed frame, the coordinator stopping (the client sends the unanswered batches again).
    /// </summary>
    public override async Task SubmitStream(IAsyncStreamReader<SubmitRequest> requestStream, IServerStreamWriter<SubmitReply> responseStream, ServerCallContext context)
    {
        var http = context.GetHttpContext();
        var authentication = SecuritySettings.Authenticates(options) ? http.RequestServices.GetRequiredService<TokenAuthentication>() : null;
        // A batch's failure becomes the status Submit would end with, in its reply, as the interceptor makes it for a call.
        var errors = ActivatorUtilities.CreateInstance<ErrorInterceptor>(http.RequestServices);
        while (await NextBatchAsync(requestStream, context.CancellationToken).ConfigureAwait(false))
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
            catch (Exception e) when (!context.CancellationToken.IsCancellationRequested && (e as RpcException ?? errors.Map(e)) is { } status)
            {
                reply = new SubmitReply { Status = status.StatusCode.ToString(), StatusMessage = status.Status.Detail };
            }
            await responseStream.WriteAsync(reply, context.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether another batch came; false at the stream's end, and when the client reset it (it went away).</summary>
    private static async Task<bool> NextBatchAsync(IAsyncStreamReader<SubmitRequest> requestStream, CancellationToken cancellationToken)
    {
        try
        {
            return await requestStream.MoveNext(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (MalformedFrames.CallerWentAway(e))
        {
            return false;
        }
    }
}
