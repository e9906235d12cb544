using Cluster.Contracts;
using Cluster.Protocol.V1;
using Grpc.Core;

namespace Cluster.Client;

public sealed partial class ClusterExecutor
{
    // Peeks in flight at once while re-checking after a store fault.
    private const int RecheckParallelism = 16;

    // The store faults the last completion batch reported (-1 before the first batch).
    private long _storeFaultsSeen = -1;
    // 1 while a re-check runs; _recheckAgain asks it for one more pass.
    private int _rechecking;
    private int _recheckAgain;

    /// <summary>
    /// Notes the store faults a completion batch reports; a number other than the last one seen
    /// means a coordinator's store connection failed since (see <see cref="RecheckAsync"/>).
    /// </summary>
    private void OnStoreFaults(long faults)
    {
        var seen = Interlocked.Exchange(ref _storeFaultsSeen, faults);
        if (seen < 0 || seen == faults)
        {
            return;
        }
        LogStoreFault(SessionId, faults);
        Volatile.Write(ref _recheckAgain, 1);
        if (Interlocked.CompareExchange(ref _rechecking, 1, 0) == 0)
        {
            _ = RecheckLoopAsync();
        }
    }

    private async Task RecheckLoopAsync()
    {
        var token = _stop.Token;
        try
        {
            while (Interlocked.Exchange(ref _recheckAgain, 0) == 1 && !token.IsCancellationRequested)
            {
                await RecheckAsync(token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        finally
        {
            Volatile.Write(ref _rechecking, 0);
        }
        // A fault reported after the last pass took its snapshot and before the flag fell: one more.
        if (Volatile.Read(ref _recheckAgain) == 1 && !token.IsCancellationRequested && Interlocked.CompareExchange(ref _rechecking, 1, 0) == 0)
        {
            _ = RecheckLoopAsync();
        }
    }

    /// <summary>
    /// A store that failed over may have lost what it acknowledged just before: a submit (the task
    /// is gone), or a completion appended to this session's log (the task finished, its future
    /// would wait forever). Asks where each task this executor was told is stored, and has no
    /// completion for, stands: a finished one resolves from the completion the store kept with
    /// the task, one the store does not know fails with <see cref="TaskLostException"/>, the
    /// others wait for their completion as before. A store still failing over answers Unavailable:
    /// that task is asked again after a backoff.
    /// </summary>
    private async Task RecheckAsync(CancellationToken token)
    {
        // Own submits only (an attached future, kept under another key, asks on its own).
        var waiting = _futures.Where(p => p.Key == p.Value.Id)
            .Select(p => p.Value)
            .Where(f => !f.Done && f.Accepted)
            .ToList();
        var resolved = 0;
        var lost = 0;
        await Parallel.ForEachAsync(waiting, new ParallelOptions { MaxDegreeOfParallelism = RecheckParallelism, CancellationToken = token }, async (future, ct) =>
        {
            switch (await RecheckOneAsync(future, ct).ConfigureAwait(false))
            {
                case true:
                    Interlocked.Increment(ref resolved);
                    break;
                case false:
                    Interlocked.Increment(ref lost);
                    break;
            }
        }).ConfigureAwait(false);
        LogRechecked(SessionId, waiting.Count, resolved, lost);
    }

    /// <summary>Peeks at one task until a coordinator answers: true when it resolved the future, false when the task was lost, null otherwise.</summary>
    private async Task<bool?> RecheckOneAsync(ClusterFuture future, CancellationToken token)
    {
        var backoff = new Backoff(RetryFirst, RetryMax);
        while (!future.Done)
        {
            var client = Client;
            try
            {
                var reply = await client.AttachAsync(new AttachRequest { TaskId = future.Id, Peek = true }, cancellationToken: token).ConfigureAwait(false);
                return reply.Completion is not null && future.Resolve(reply.Completion) ? true : null;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                return future.Resolve(error: new TaskLostException(future.Id, future.Name, e.Status.Detail)) ? false : null;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument or StatusCode.PermissionDenied or StatusCode.Unauthenticated or StatusCode.Unimplemented)
            {
                // A coordinator that cannot answer this (an older one): the future waits for its completion.
                return null;
            }
            catch (RpcException) when (!token.IsCancellationRequested)
            {
                Failover(client);
            }
            await Task.Delay(backoff.Next(), token).ConfigureAwait(false);
        }
        return null;
    }
}
