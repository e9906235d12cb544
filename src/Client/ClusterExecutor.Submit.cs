using System.Diagnostics;
using System.Threading.Channels;
using Cluster.Client.Internal;
using Cluster.Contracts;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Cluster.Client;

public sealed partial class ClusterExecutor
{
    private static readonly TimeSpan RetryFirst = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan RetryMax = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan QueueFullFirst = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan QueueFullMax = TimeSpan.FromSeconds(2);
    // A submit call's deadline is never shorter than this, so that a slow answer still has a chance.
    private static readonly TimeSpan MinAttemptTime = TimeSpan.FromSeconds(1);

    /// <summary>Coalesces queued submits into batches: whatever is waiting goes in the next call.</summary>
    private async Task SubmitLoopAsync()
    {
        var reader = _submits.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                var batch = new List<ClusterFuture>();
                var bytes = 0;
                // A batch stays within MaxBatchBytes of arguments (a single larger task travels alone),
                // so a submit message stays well under the 4 MiB a coordinator must accept.
                while (batch.Count < _options.MaxBatchTasks && reader.TryPeek(out var next)
                    && (batch.Count == 0 || bytes + next.Args.Length <= _options.MaxBatchBytes)
                    && reader.TryRead(out var future))
                {
                    if (!future.TryMarkSent())
                    {
                        continue; // cancelled before it left
                    }
                    bytes += future.Args.Length;
                    batch.Add(future);
                }
                if (batch.Count == 0)
                {
                    continue;
                }
                await _inFlight.WaitAsync().ConfigureAwait(false);
                _ = SendAsync(batch);
            }
        }
        catch (ChannelClosedException)
        {
        }
    }

    /// <summary>How many batches this executor has sent, attempts included (on its submit stream, or each a Submit call).</summary>
    internal long SubmitCalls => Interlocked.Read(ref _submitCalls);

    private long _submitCalls;

    /// <summary>
    /// Queues <paramref name="future"/> for sending once a coordinator has answered the submit of each
    /// of its inputs (the store must know them; a dependent never overtakes its inputs in another call).
    /// </summary>
    private async Task SendAfterInputsAsync(ClusterFuture future)
    {
        foreach (var input in future.Inputs)
        {
            while (!input.Stored)
            {
                await input.AnsweredTask.ConfigureAwait(false);
            }
        }
        if (!_submits.Writer.TryWrite(future))
        {
            ReturnPendingBytes(future);
            future.Resolve(error: new InvalidOperationException($"Task {future.Id} was not sent: the executor was shut down before its inputs were accepted."));
        }
    }

    /// <summary>
    /// Sends one batch until a coordinator answers, moving on to the next coordinator when one is
    /// unavailable; a task no coordinator has taken within UnavailableTimeout fails its future.
    /// </summary>
    private async Task SendAsync(List<ClusterFuture> batch)
    {
        var backoff = new Backoff(RetryFirst, RetryMax);
        var tried = new List<string>();
        Status? reason = null;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var index = CurrentIndex;
                var client = _clients[index];
                try
                {
                    HopTrace.MarkEach("client.send", batch, static f => f.Id);
                    Interlocked.Increment(ref _submitCalls);
                    var reply = await SubmitOnceAsync(index, Request(batch), AttemptDeadline(batch)).ConfigureAwait(false);
                    Answered(batch, reply, attempt);
                    return;
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal && !_stop.IsCancellationRequested)
                {
                    LogSubmitRetry(batch.Count, e.StatusCode);
                    Failover(client);
                    if (!tried.Contains(_addresses[index]))
                    {
                        tried.Add(_addresses[index]);
                    }
                    // An attempt cut short by its deadline says less than a refusal before it.
                    reason = e.StatusCode == StatusCode.DeadlineExceeded && reason is { } earlier ? earlier : e.Status;
                    batch = GiveUpExpired(batch, tried, reason.Value);
                    if (batch.Count == 0)
                    {
                        return;
                    }
                    var wait = backoff.Next();
                    await Task.Delay(UntilFirstExpiry(batch) is { } left && left < wait ? left : wait).ConfigureAwait(false);
                }
                catch (RpcException e)
                {
                    foreach (var future in batch)
                    {
                        future.Resolve(error: new TaskRejectedException(future.Id, e.StatusCode.ToString(), e.Status.Detail));
                    }
                    return;
                }
            }
        }
        finally
        {
            _inFlight.Release();
        }
    }

    /// <summary>
    /// One attempt at a batch on coordinator <paramref name="index"/>: on its submit stream, or with a
    /// Submit call when that coordinator refused the stream or the address is a dns:/// name (whose
    /// calls spread over its coordinators, where a stream would stay on one).
    /// </summary>
    private async Task<SubmitReply> SubmitOnceAsync(int index, SubmitRequest request, DateTime? deadline)
    {
        if (_submitStreams[index] is { Refused: false } stream)
        {
            try
            {
                var left = deadline - DateTime.UtcNow;
                return await stream.SubmitAsync(request, left < TimeSpan.Zero ? TimeSpan.Zero : left).ConfigureAwait(false);
            }
            catch (SubmitStreamRefusedException e)
            {
                LogSubmitStreamRefused(_addresses[index], e.Message);
            }
        }
        return await _clients[index].SubmitAsync(request, deadline: deadline).ConfigureAwait(false);
    }

    private SubmitRequest Request(List<ClusterFuture> batch)
    {
        var request = new SubmitRequest { Session = SessionId };
        foreach (var future in batch)
        {
            var spec = new TaskSpec { Id = future.Id, Name = future.Name, Args = UnsafeByteOperations.UnsafeWrap(future.Args), Chunked = future.Chunked, Policy = future.Policy.ToWire(), IdempotencyKey = future.IdempotencyKey ?? string.Empty, Queue = future.Queue ?? string.Empty, NotBeforeUnixMs = future.NotBefore };
            if (future.Priority != 5)
            {
                spec.Priority = future.Priority;
            }
            future.Trace?.Stamp(spec);
            if (future.Inputs.Count > 0)
            {
                spec.Inputs.AddRange(future.Inputs.Select(static input => input.Id));
            }
            request.Tasks.Add(spec);
        }
        return request;
    }

    /// <summary>A coordinator answered: every task it did not refuse is stored.</summary>
    private void Answered(List<ClusterFuture> batch, SubmitReply reply, int attempt)
    {
        var refused = new bool[batch.Count];
        List<ClusterFuture>? full = null;
        foreach (var rejection in reply.Rejected)
        {
            var future = batch[rejection.Index];
            // A retried batch may find its own task stored by the call that seemed to fail (the id is
            // taken, or the key is held by this very task): its completion comes on the stream. A key
            // held by another task is refused as on a first attempt.
            if (attempt > 1 && rejection.Code == nameof(StatusCode.AlreadyExists) && (rejection.ExistingTaskId.Length == 0 || rejection.ExistingTaskId == future.Id))
            {
                continue;
            }
            refused[rejection.Index] = true;
            if (rejection.Code == nameof(StatusCode.ResourceExhausted) && _options.WhenQueueFull == QueueFullBehavior.Wait)
            {
                (full ??= []).Add(future);
                continue;
            }
            future.Resolve(error: new TaskRejectedException(future.Id, rejection.Code, rejection.Message, rejection.ExistingTaskId.Length > 0 ? rejection.ExistingTaskId : null));
        }
        for (var i = 0; i < batch.Count; i++)
        {
            if (!refused[i])
            {
                // Accepted: the task is durable in the store from here on.
                batch[i].MarkAccepted();
                batch[i].Trace?.Accepted();
                ReturnPendingBytes(batch[i]);
            }
        }
        if (full is not null)
        {
            WaitForRoom(full);
        }
    }

    /// <summary>
    /// The coordinator refused these tasks because their queue is full: they go back to the local
    /// queue (Pending, and a cancel withdraws them there) and are sent again after a jittered backoff.
    /// </summary>
    private void WaitForRoom(List<ClusterFuture> full)
    {
        var answers = 0;
        foreach (var future in full)
        {
            future.Requeue();
            answers = Math.Max(answers, future.QueueFullAnswers);
        }
        var delay = Backoff.After(QueueFullFirst, QueueFullMax, answers);
        LogQueueFull(full[0].Name, full.Count, delay);
        _ = ResendAsync(full, delay);
    }

    private async Task ResendAsync(List<ClusterFuture> futures, TimeSpan delay)
    {
        await Task.Delay(delay).ConfigureAwait(false);
        foreach (var future in futures)
        {
            // One cancelled meanwhile is skipped by the submit loop.
            _submits.Writer.TryWrite(future);
        }
    }

    /// <summary>
    /// Fails, with ClusterUnavailableException, the futures no coordinator has taken for
    /// UnavailableTimeout; returns the others, still to be sent.
    /// </summary>
    private List<ClusterFuture> GiveUpExpired(List<ClusterFuture> batch, List<string> tried, Status last)
    {
        var timeout = _options.UnavailableTimeout;
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return batch;
        }
        var now = Stopwatch.GetTimestamp();
        var left = new List<ClusterFuture>(batch.Count);
        var expired = 0;
        foreach (var future in batch)
        {
            if (future.Done)
            {
                continue;
            }
            if (Stopwatch.GetElapsedTime(future.UnansweredSince, now) < timeout)
            {
                left.Add(future);
                continue;
            }
            expired++;
            future.Resolve(error: new ClusterUnavailableException(future.Id, timeout, tried, last.StatusCode.ToString(), last.Detail));
        }
        if (expired > 0)
        {
            LogSubmitGaveUp(expired, timeout, last.StatusCode);
        }
        return left;
    }

    /// <summary>Time until the first future of <paramref name="batch"/> has gone unanswered for UnavailableTimeout.</summary>
    private TimeSpan? UntilFirstExpiry(List<ClusterFuture> batch)
    {
        if (_options.UnavailableTimeout == Timeout.InfiniteTimeSpan)
        {
            return null;
        }
        var now = Stopwatch.GetTimestamp();
        var least = batch.Min(f => _options.UnavailableTimeout - Stopwatch.GetElapsedTime(f.UnansweredSince, now));
        return least < TimeSpan.Zero ? TimeSpan.Zero : least;
    }

    /// <summary>
    /// A submit call waits at most until the last future of the batch has gone unanswered for
    /// UnavailableTimeout (never less than a second): a coordinator that takes the call and never
    /// answers is then treated as unavailable.
    /// </summary>
    private DateTime? AttemptDeadline(List<ClusterFuture> batch)
    {
        var timeout = _options.UnavailableTimeout;
        if (timeout == Timeout.InfiniteTimeSpan || timeout > TimeSpan.FromDays(1))
        {
            return null;
        }
        var now = Stopwatch.GetTimestamp();
        var most = batch.Max(f => timeout - Stopwatch.GetElapsedTime(f.UnansweredSince, now));
        return DateTime.UtcNow + (most < MinAttemptTime ? MinAttemptTime : most);
    }
}
