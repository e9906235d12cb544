using Cluster.Client.Internal;
using Cluster.Contracts;
using Cluster.Protocol.V1;
using Grpc.Core;

namespace Cluster.Client;

public sealed partial class ClusterExecutor
{
    /// <summary>
    /// Reads this session's completion stream, resuming after the last completion seen when it
    /// breaks; acknowledges what it has so the store can forget it.
    /// </summary>
    private async Task CompletionLoopAsync()
    {
        var token = _stop.Token;
        var backoff = new Backoff(RetryFirst, RetryMax);
        using var ackTimer = new PeriodicTimer(AckInterval);
        var acks = AckLoopAsync(ackTimer, token);
        while (!token.IsCancellationRequested)
        {
            var client = Client;
            try
            {
                using var call = client.Completions(new CompletionsRequest { Session = SessionId, AfterSeq = Interlocked.Read(ref _lastSeq) }, cancellationToken: token);
                while (await call.ResponseStream.MoveNext(token).ConfigureAwait(false))
                {
                    backoff.Reset();
                    OnStoreFaults(call.ResponseStream.Current.StoreFaults);
                    foreach (var notice in call.ResponseStream.Current.Events)
                    {
                        if (_futures.TryGetValue(notice.TaskId, out var running))
                        {
                            if (notice.KindCase == TaskEvent.KindOneofCase.Progress)
                            {
                                running.OnProgress(new TaskProgress(notice.Progress.Fraction, notice.Progress.Message));
                            }
                            else
                            {
                                running.MarkRunning();
                            }
                        }
                    }
                    foreach (var completion in call.ResponseStream.Current.Completions)
                    {
                        // A completion seen twice (after a resume) finds its future gone or resolved: it resolves once.
                        HopTrace.Mark("client.completed", completion.TaskId);
                        if (_futures.TryGetValue(completion.TaskId, out var future))
                        {
                            using var received = future.Trace?.Receive(completion, future.Name);
                            future.Resolve(completion);
                        }
                        if (completion.Seq > Interlocked.Read(ref _lastSeq))
                        {
                            Interlocked.Exchange(ref _lastSeq, completion.Seq);
                        }
                    }
                }
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                break;
            }
            catch (RpcException e)
            {
                LogStreamBroke(SessionId, e.Status.Detail, Interlocked.Read(ref _lastSeq));
                Failover(client);
            }
            try
            {
                await Task.Delay(backoff.Next(), token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        await acks.ConfigureAwait(false);
    }

    private async Task AckLoopAsync(PeriodicTimer timer, CancellationToken token)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                await AckAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task AckAsync()
    {
        var seq = Interlocked.Read(ref _lastSeq);
        if (seq <= Interlocked.Read(ref _ackedSeq))
        {
            return;
        }
        try
        {
            await Client.AckAsync(new AckRequest { Session = SessionId, UpToSeq = seq }, deadline: DateTime.UtcNow + AckDeadline).ConfigureAwait(false);
            Interlocked.Exchange(ref _ackedSeq, seq);
        }
        catch (RpcException)
        {
            // The next tick acknowledges again; meanwhile the store keeps them.
        }
    }
}
