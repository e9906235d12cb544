using Cluster.Contracts;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.Worker;

public sealed partial class WorkerProcess
{
    private readonly Lock _queueGate = new();
    // The channel of the handlers' queue calls (TaskContext.GetQueue): made on the first, to the
    // coordinator in use then, with the worker's own security (its token, its TLS). Unary calls,
    // apart from the task stream, so a handler waiting on a queue never holds the stream up.
    private GrpcChannel? _queueChannel;
    // The delegate every task's context is given, made once rather than for each task.
    private Func<CallInvoker>? _queueInvoker;

    /// <summary>The call invoker of the handlers' queues.</summary>
    private CallInvoker QueueInvoker()
    {
        lock (_queueGate)
        {
            ObjectDisposedException.ThrowIf(_shutdown.IsCancellationRequested && _queueChannel is null, this);
            _queueChannel ??= ClusterChannel.Create(Address, _options.Security);
            return _queueChannel.CreateCallInvoker();
        }
    }

    private void DisposeQueueChannel()
    {
        lock (_queueGate)
        {
            _queueChannel?.Dispose();
        }
    }
}
