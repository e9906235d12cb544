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
    private bool _disposed;

    /// <summary>The coordinator does not take submit streams from this executor: use the unary Submit.</summary>
    public bool Refused { get; private set; }

    /// <summary>
    /// Sends <paramref name="request"/> and waits for its reply, at most <paramref name="timeout"/>
    /// (then the stream is dropped and this throws DEADLINE_EXCEEDED, as a unary call past its deadline would).
    /// </summary>
    /// <exception cref="RpcException">The stream broke, or the reply carries a status (a batch Submit would have refused).</exception>
    /// <exception cref="SubmitStreamRefusedException">The coordinator refused the stream; nothing of the batch was stored.</exception>
    public async Task<SubmitReply> SubmitAsync(SubmitRequest request, TimeSpan? timeout)
    {
        var answer = new TaskCompletionSource<SubmitReply>();
        Link link;
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            link = _open ??= Open();
            link.Enqueue(answer);
            try
            {
                await link.Call.RequestStream.WriteAsync(request).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException or IOException)
            {
                // The call ended: its reader reads the status it ended with and fails what it held
                // with that (a refusal of the stream, or a break), this batch too.
            }
        }
        finally
        {
            _writeGate.Release();
        }
        SubmitReply reply;
        if (timeout is { } limit)
        {
            try
            {
                reply = await answer.Task.WaitAsync(limit).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                var expired = new RpcException(new Status(StatusCode.DeadlineExceeded, $"no answer to a submit within {limit.TotalSeconds:0.#} s"));
                Break(link, expired);
                throw expired;
            }
        }
        else
        {
            reply = await answer.Task.ConfigureAwait(false);
        }
        if (reply.Status.Length > 0)
        {
            throw new RpcException(new Status(Enum.TryParse<StatusCode>(reply.Status, out var code) ? code : StatusCode.Unknown, reply.StatusMessage));
        }
        return reply;
    }

    private Link Open()
    {
        var link = new Link(client.SubmitStream());
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
            Refused = true;
            Break(link, new SubmitStreamRefusedException(e));
        }
        catch (RpcException e)
        {
            Break(link, e);
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

    public void Dispose()
    {
        _writeGate.Wait();
        try
        {
            _disposed = true;
            if (_open is { } link)
            {
                Break(link, new RpcException(new Status(StatusCode.Cancelled, "the executor was shut down")));
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>One call and the batches sent on it, oldest first.</summary>
    private sealed class Link(AsyncDuplexStreamingCall<SubmitRequest, SubmitReply> call)
    {
        private readonly Queue<TaskCompletionSource<SubmitReply>> _waiting = new();
        private readonly Lock _gate = new();
        private bool _broken;

        public AsyncDuplexStreamingCall<SubmitRequest, SubmitReply> Call { get; } = call;

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
