using Cluster.Protocol.V1;
using Grpc.Core;

namespace Cluster.Client.Internal;

/// <summary>
/// The submits of one executor to one coordinator over a single long-lived <c>Tasks.SubmitStream</c>
/// call: a batch costs one message each way, not a call. Replies come in the order the batches were
/// sent. When the stream breaks, every batch sent on it and not answered fails with the status it
/// broke with (the caller retries those as after a unary Submit's); the next batch opens a new one.
/// A coordinator that refuses the stream before answering anything (UNIMPLEMENTED: an older one;
/// RESOURCE_EXHAUSTED: its --max-streams) marks it <see cref="Refused"/>: the caller uses Submit.
/// </summary>
internal sealed class SubmitStream(Protocol.V1.Tasks.TasksClient client) : IDisposable
{
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private Link? _open;
    private volatile bool _disposed;

    private volatile bool _refused;

    /// <summary>The coordinator does not take submit streams from this executor: use the unary Submit.</summary>
    public bool Refused => _refused;

    /// <summary>
    /// Sends <paramref name="request"/> and waits for its reply, at most <paramref name="timeout"/> in
    /// all, the wait for the stream and the write included (then the stream is dropped, failing the
    /// batches on it, and this throws DEADLINE_EXCEEDED, as a unary call past its deadline would).
    /// </summary>
    /// <exception cref="RpcException">The stream broke, or the reply carries a status (a batch Submit would have refused).</exception>
    /// <exception cref="SubmitStreamRefusedException">The coordinator refused the stream; nothing of the batch was stored.</exception>
    /// <remarks>After <see cref="Dispose"/>, throws CANCELLED.</remarks>
    public async Task<SubmitReply> SubmitAsync(SubmitRequest request, TimeSpan? timeout)
    {
        var answer = new TaskCompletionSource<SubmitReply>();
        // The deadline covers the wait for the stream and the write too: a first write waits for the connection.
        using var deadline = timeout is { } limit ? new CancellationTokenSource(limit) : null;
        var expiry = deadline?.Token ?? CancellationToken.None;
        Link? link = null;
        try
        {
            await _writeGate.WaitAsync(expiry).ConfigureAwait(false);
            try
            {
                if (_disposed)
                {
                    throw new RpcException(new Status(StatusCode.Cancelled, "the executor was shut down"));
                }
                link = _open is { Broken: false } open ? open : Open();
                link.Enqueue(answer);
                try
                {
                    await link.Call.RequestStream.WriteAsync(request, expiry).ConfigureAwait(false);
                }
                catch (Exception) when (!expiry.IsCancellationRequested)
                {
                    // The call ended (the channel sends messages of any size): its reader reads the
                    // status it ended with and fails what it held with that (a refusal of the stream,
                    // or a break), this batch too; a link broken before this batch joined it failed it at once.
                }
            }
            finally
            {
                _writeGate.Release();
            }
            var reply = await answer.Task.WaitAsync(expiry).ConfigureAwait(false);
            if (reply.Status.Length > 0)
            {
                throw new RpcException(new Status(Enum.TryParse<StatusCode>(reply.Status, out var code) ? code : StatusCode.Unknown, reply.StatusMessage));
            }
            return reply;
        }
        catch (Exception e) when (expiry.IsCancellationRequested && e is OperationCanceledException or RpcException or IOException or InvalidOperationException)
        {
            // Past the deadline: a coordinator that takes a batch and never answers is treated as unavailable.
            var expired = new RpcException(new Status(StatusCode.DeadlineExceeded, $"no answer to a submit within {timeout!.Value.TotalSeconds:0.#} s"));
            if (link is not null)
            {
                Break(link, expired);
            }
            // Observed here: the batch's answer was failed with the rest of the stream's.
            _ = answer.Task.Exception;
            throw expired;
        }
    }

    private Link Open()
    {
        var link = new Link(client.SubmitStream());
        // Set before the reader starts: a call that fails at once is broken by it, and so taken out again.
        _open = link;
        _ = ReadAsync(link);
        return link;
    }

    private async Task ReadAsync(Link link)
    {
        var answered = false;
        try
        {
            while (await link.Call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
            {
                answered = true;
                link.Answer(link.Call.ResponseStream.Current);
            }
            Break(link, new RpcException(new Status(StatusCode.Unavailable, "the coordinator ended the submit stream")));
        }
        catch (RpcException e) when (!answered && e.StatusCode is StatusCode.Unimplemented or StatusCode.ResourceExhausted)
        {
            // Only a refusal ends the stream with these before its first answer: a batch's own
            // RESOURCE_EXHAUSTED (too many tasks, a full store) comes in its reply.
            _refused = true;
            Break(link, new SubmitStreamRefusedException(e));
        }
        catch (RpcException e)
        {
            Break(link, e);
        }
        catch (Exception e) when (e is ObjectDisposedException or IOException or InvalidOperationException or OperationCanceledException)
        {
            // The call was disposed (the stream was dropped, or the executor shut down).
            Break(link, new RpcException(new Status(StatusCode.Unavailable, "the submit stream broke: " + e.Message)));
        }
    }

    /// <summary>Drops the stream (once): every batch waiting on it fails with <paramref name="error"/>.</summary>
    private void Break(Link link, Exception error)
    {
        if (!link.TryBreak())
        {
            return;
        }
        Interlocked.CompareExchange(ref _open, null, link);
        link.Fail(error);
        link.Call.Dispose();
    }

    /// <summary>Ends the stream: batches waiting on it fail with CANCELLED, and so does any sent later.</summary>
    public void Dispose()
    {
        _disposed = true;
        if (Volatile.Read(ref _open) is { } link)
        {
            Break(link, new RpcException(new Status(StatusCode.Cancelled, "the executor was shut down")));
        }
    }

    /// <summary>One call and the batches sent on it, oldest first.</summary>
    private sealed class Link(AsyncDuplexStreamingCall<SubmitRequest, SubmitReply> call)
    {
        private readonly Queue<TaskCompletionSource<SubmitReply>> _waiting = new();
        private readonly Lock _gate = new();
        private bool _broken;

        public AsyncDuplexStreamingCall<SubmitRequest, SubmitReply> Call { get; } = call;

        public bool Broken
        {
            get
            {
                lock (_gate)
                {
                    return _broken;
                }
            }
        }

        /// <summary>True the first time only: the one caller that breaks the link fails what it holds.</summary>
        public bool TryBreak()
        {
            lock (_gate)
            {
                var first = !_broken;
                _broken = true;
                return first;
            }
        }

        public void Enqueue(TaskCompletionSource<SubmitReply> answer)
        {
            lock (_gate)
            {
                if (!_broken)
                {
                    _waiting.Enqueue(answer);
                    return;
                }
            }
            answer.TrySetException(new RpcException(new Status(StatusCode.Unavailable, "the submit stream broke")));
        }

        public void Answer(SubmitReply reply)
        {
            TaskCompletionSource<SubmitReply>? next;
            lock (_gate)
            {
                _waiting.TryDequeue(out next);
            }
            next?.TrySetResult(reply);
        }

        public void Fail(Exception error)
        {
            TaskCompletionSource<SubmitReply>[] waiting;
            lock (_gate)
            {
                waiting = [.. _waiting];
                _waiting.Clear();
            }
            foreach (var answer in waiting)
            {
                answer.TrySetException(error);
            }
        }
    }
}

/// <summary>The coordinator refused a submit stream before answering on it: nothing sent on it was stored.</summary>
internal sealed class SubmitStreamRefusedException(RpcException refusal) : Exception("the coordinator refused the submit stream: " + refusal.Status.Detail, refusal);
