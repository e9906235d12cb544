using System.Diagnostics;
using Cluster.Coordinator.Internal.Store;
using Cluster.Protocol.V1;
using Grpc.Core;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Services;

/// <summary>The lease loop of a worker stream: credits in, assignments out.</summary>
internal sealed partial class WorkersService
{
    /// <summary>
    /// Leases whenever the worker has credits and its queues may hold tasks: after a ready notice
    /// for its names, or while each lease is filled to what it asked. Credits coming back alone do
    /// not send it to queues it found short of tasks. Nothing is leased while the messages waiting
    /// for the worker fill its outbox.
    /// </summary>
    private async Task LeaseLoopAsync(WorkerConnection worker, CancellationToken cancellationToken)
    {
        var rotation = 0;
        (ExecutionKind Kind, string[] Names)[] kinds = [(ExecutionKind.ThreadPool, worker.ThreadNames), (ExecutionKind.Coroutine, worker.CoroutineNames)];
        // Per kind, the ready version its queues were last found short at; -1: look again.
        int[] seen = [-1, -1];
        var looked = Stopwatch.GetTimestamp();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                worker.Wake.Reset();
                worker.Written.Reset();
                if (worker.TakeReclaim())
                {
                    await ReclaimAsync(worker, cancellationToken).ConfigureAwait(false);
                }
                if (worker.OutboxFull)
                {
                    await worker.Written.WaitAsync(SafetyInterval, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (Stopwatch.GetElapsedTime(looked) > SafetyInterval)
                {
                    // Now and then look whatever the notices say, in case one was lost.
                    Array.Fill(seen, -1);
                    looked = Stopwatch.GetTimestamp();
                }
                var version = worker.ReadyVersion;
                var more = false;
                var asked = false;
                for (var k = 0; k < kinds.Length; k++)
                {
                    if (seen[k] == version)
                    {
                        continue;
                    }
                    var outcome = await LeaseAsync(worker, kinds[k].Names, kinds[k].Kind, rotation).ConfigureAwait(false);
                    seen[k] = outcome switch
                    {
                        LeaseOutcome.Short => version,
                        LeaseOutcome.Filled => -1,
                        _ => seen[k],
                    };
                    more |= outcome == LeaseOutcome.Filled;
                    asked |= outcome != LeaseOutcome.NotAsked;
                }
                // The next lease starts at the next shard and route, only after one that asked: so
                // the leases visit every shard in turn, none skipped by a turn without free slots.
                if (asked)
                {
                    rotation++;
                }
                if (!more)
                {
                    await worker.Wake.WaitAsync(SafetyInterval, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogLeaseLoopFailed(worker.Id, e);
            worker.End(new Status(StatusCode.Internal, $"The coordinator could not lease tasks to this worker ({e.Message}); connect again."));
        }
    }

    private enum LeaseOutcome
    {
        /// <summary>Nothing asked: no credits, no names of this kind, or draining.</summary>
        NotAsked,
        /// <summary>Fewer tasks than asked: the queues are empty until the next ready notice.</summary>
        Short,
        /// <summary>As many as asked, or as many as one lease's bytes allow: there may be more.</summary>
        Filled,
    }

    private async Task<LeaseOutcome> LeaseAsync(WorkerConnection worker, string[] names, ExecutionKind kind, int rotation)
    {
        if (names.Length == 0 || worker.Draining)
        {
            return LeaseOutcome.NotAsked;
        }
        var want = worker.Reserve(kind, WorkerConnection.MaxLeaseBatch);
        if (want == 0)
        {
            return LeaseOutcome.NotAsked;
        }
        List<Assignment> leased = [];
        var more = false;
        try
        {
            TimeSpan? nextToken;
            (leased, more, nextToken) = await store.LeaseAsync(worker.Id, worker.Token, names, want, rotation).ConfigureAwait(false);
            if (nextToken is { } due)
            {
                // A rate limit held tasks back: look again when its bucket has a token, not before.
                worker.WakeAfter(due);
            }
        }
        catch (RedisServerException e) when (e.Message.Contains("NOWORKER", StringComparison.Ordinal))
        {
            // Reaped while connected: its leases were taken.
            Revoke(worker);
            return LeaseOutcome.NotAsked;
        }
        catch (Exception e) when (StoreRetry.IsTransient(e))
        {
            // No reply: the script may have leased tasks this connection will never send. They go
            // back to their queues, unsent and uncharged, before the next lease.
            LogLeaseUnanswered(worker.Id, e.Message);
            worker.ReclaimUnsent();
            return LeaseOutcome.Filled;
        }
        finally
        {
            worker.Assign(leased, kind, want);
        }
        return more || leased.Count >= want ? LeaseOutcome.Filled : LeaseOutcome.Short;
    }

    /// <summary>
    /// Puts back what the store holds leased to the worker that this connection never sent, once
    /// the store answers. Hand-offs wait meanwhile, so every other lease to it is known here.
    /// </summary>
    private async Task ReclaimAsync(WorkerConnection worker, CancellationToken cancellationToken)
    {
        await worker.PauseHandoffsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var reclaimed = await StoreRetry.RunAsync(() => store.ReclaimUnsentAsync(worker.Id, AllNames(worker), worker.KnownTaskIds()), logger, $"put back the unsent tasks of worker {worker.Id}", cancellationToken).ConfigureAwait(false);
            if (reclaimed > 0)
            {
                LogReclaimed(worker.Id, reclaimed);
            }
        }
        finally
        {
            worker.ResumeHandoffs();
        }
    }
}
