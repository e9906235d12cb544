using Cluster.Protocol.V1;
using Grpc.Core;

namespace Cluster.Worker.Tests;

/// <summary>Hands each worker stream to the test, and ends it with the status the test chooses.</summary>
internal sealed class ScriptedWorkersService : Workers.WorkersBase
{
    public ScriptedCoordinator Coordinator { get; set; } = null!;

    public override async Task Connect(IAsyncStreamReader<WorkerMessage> requestStream, IServerStreamWriter<CoordinatorMessage> responseStream, ServerCallContext context)
    {
        var connection = new ScriptedConnection(requestStream, responseStream);
        Coordinator.Connections.Writer.TryWrite(connection);
        var status = await connection.Ended.Task.WaitAsync(context.CancellationToken);
        if (status.StatusCode != StatusCode.OK)
        {
            throw new RpcException(status);
        }
    }
}
