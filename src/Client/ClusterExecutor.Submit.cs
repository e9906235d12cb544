using System.Threading.Channels;
using Cluster.Contracts;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Cluster.Client;

public sealed partial class ClusterExecutor
{
    /// <summary>Coalesces queued submits into batches: whatever is waiting goes in the next call.</summary>
    private async Task SubmitLoopAsync()
    {
        var reader = _submits.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                var batch = new List<ClusterFuture>();
                var request = new SubmitRequest { Session = SessionId };
                var bytes = 0;
                while (batch.Count < _options.MaxBatchTasks && bytes < _options.MaxBatchBytes && reader.TryRead(out var future))
                {
                    if (!future.TryMarkSent())
                    {
                        continue; // cancelled before it left
                    }
                    var args = _args.TryGetValue(future.Id, out var a) ? a : ReadOnlyMemory<byte>.Empty;
                    bytes += args.Length;
                    batch.Add(future);
                    request.Tasks.Add(new TaskSpec { Id = future.Id, Name = future.Name, Args = UnsafeByteOperations.UnsafeWrap(args), Chunked = future.Chunked, Policy = future.Policy.ToWire(), IdempotencyKey = future.IdempotencyKey ?? string.Empty });
                }
                if (batch.Count == 0)
                {
                    continue;
                }
                await _inFlight.WaitAsync().ConfigureAwait(false);
                _ = SendAsync(request, batch);
            }
        }
        catch (ChannelClosedException)
        {
        }
    }

    private async Task SendAsync(SubmitRequest request, List<ClusterFuture> batch)
    {
        try
        {
            var delay = TimeSpan.FromMilliseconds(50);
            for (var attempt = 1; ; attempt++)
            {
                var client = Client;
                try
                {
                    HopTrace.MarkEach("client.send", batch, static f => f.Id);
                    var reply = await client.SubmitAsync(request).ConfigureAwait(false);
                    foreach (var rejection in reply.Rejected)
                    {
                        var future = batch[rejection.Index];
                        // A retried batch may find its own tasks stored by the call that seemed to fail.
                        if (attempt > 1 && rejection.Code == nameof(StatusCode.AlreadyExists))
                        {
                            continue;
                        }
                        future.Resolve(error: new TaskRejectedException(future.Id, rejection.Code, rejection.Message, rejection.ExistingTaskId.Length > 0 ? rejection.ExistingTaskId : null));
                    }
                    break;
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal && !_stop.IsCancellationRequested)
                {
                    LogSubmitRetry(batch.Count, e.StatusCode);
                    Failover(client);
                    await Task.Delay(delay).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
                }
                catch (RpcException e)
                {
                    foreach (var future in batch)
                    {
                        future.Resolve(error: new TaskRejectedException(future.Id, e.StatusCode.ToString(), e.Status.Detail));
                    }
                    break;
                }
            }
        }
        finally
        {
            foreach (var future in batch)
            {
                // Accepted: the task is durable in the store from here on.
                future.MarkAccepted();
                _args.TryRemove(future.Id, out _);
            }
            _inFlight.Release();
        }
    }
}
