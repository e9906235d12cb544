using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using Garnet.networking;
using Garnet.server;
using RESPite.Transports;
using StackExchange.Redis;
using StackExchange.Redis.Configuration;

#pragma warning disable SER009 // StackExchange.Redis's pluggable transport is marked experimental

namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// The coordinator's requests to the embedded store without a socket: StackExchange.Redis writes the
/// same RESP bytes, and a Garnet session in this process reads them and answers on a thread-pool
/// thread. A store call then costs no loopback send and receive, and no wake-up of a network thread
/// on either side. The subscription connection (pub/sub pushes arrive on Garnet's threads)
/// and every other client of the store keep its loopback port.
/// </summary>
internal sealed class InProcessTunnel(ISessionProvider sessions) : Tunnel
{
    public override ValueTask<DuplexTransport?> ConnectTransportAsync(EndPoint endpoint, ConnectionType connectionType, TlsOptions tls, CancellationToken cancellationToken) =>
        connectionType == ConnectionType.Interactive ? new(new InProcessTransport(sessions)) : default;
}

/// <summary>
/// One connection: the bytes StackExchange.Redis stages are handed to a Garnet session
/// (<see cref="IMessageConsumer.TryConsumeMessages"/>), and what the session answers (it writes into
/// this object as its <see cref="INetworkSender"/>) is delivered to StackExchange.Redis's receiver once
/// the session has consumed the batch, never while it runs.
/// </summary>
/// <remarks>
/// A flush does not run the session itself: it queues a drain to the thread pool's global queue
/// (not the flushing thread's own, which a thread that blocks after its flush would hold). The
/// flush returns at once, as a socket's does: StackExchange.Redis flushes under its write lock, and a
/// caller may wait for the answer holding a monitor the delivery pulses (a transaction's
/// conditions); requests flushed while a drain runs (or waits for the append-only log to commit)
/// go to the session together in its next pass, as a socket's would.
/// </remarks>
internal sealed unsafe class InProcessTransport : DuplexTransport, INetworkSender, IThreadPoolWorkItem
{
    private readonly Lock _gate = new();
    private readonly IMessageConsumer _session;
    // What the session writes its answers into, pinned: it writes through pointers.
    private readonly byte[] _response;
    private readonly byte* _responseHead;
    // A buffer grown past this by one large request or answer is let go once that is done.
    private const int RetainedBytes = 1 << 20;
    private ArrayBufferWriter<byte> _answers = new();
    private TransportReceiver? _receiver;
    // Staged by the writer since the last flush.
    private ArrayBufferWriter<byte> _staged = new();
    // Flushed, not yet handed to the session; the drain takes them all at once.
    private ArrayBufferWriter<byte> _inbox = new();
    // The drain's own buffer: a request the session has not consumed in full stays at its front.
    private byte[] _work = new byte[4096];
    private int _workLength;
    private bool _draining;
    private bool _closed;
    private bool _closeReported;
    private int _sessionDisposed;

    public InProcessTransport(ISessionProvider sessions)
    {
        GetMaxSizeSettings = sessions.GetMaxSizeSettings ?? new MaxSizeSettings();
        _response = GC.AllocateArray<byte>(BufferSizeUtils.ServerBufferSize(GetMaxSizeSettings), pinned: true);
        _responseHead = (byte*)Unsafe.AsPointer(ref _response[0]);
        _session = sessions.GetSession(WireFormat.ASCII, this);
    }

    // The writer side (StackExchange.Redis stages one request at a time under its write lock).

    public override Memory<byte> GetMemory(int sizeHint = 0) => _staged.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => _staged.GetSpan(sizeHint);

    public override void Advance(int count) => _staged.Advance(count);

    public override bool Flush()
    {
        lock (_gate)
        {
            if (_closed)
            {
                Reset(ref _staged);
                return false;
            }
            _inbox.Write(_staged.WrittenSpan);
            Reset(ref _staged);
            if (_draining)
            {
                return true;
            }
            _draining = true;
        }
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        return true;
    }

    void IThreadPoolWorkItem.Execute() => Drain();

    public override void Start(TransportReceiver receiver) => _receiver = receiver;

    public override ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return default;
            }
            _closed = true;
            if (_draining)
            {
                return default; // the drain disposes the session when it ends
            }
        }
        DisposeSession();
        ReportClosed(null);
        return default;
    }

    /// <summary>Hands what was flushed to the session and its answers to the receiver, until nothing is left.</summary>
    private void Drain()
    {
        try
        {
            while (true)
            {
                bool closing;
                lock (_gate)
                {
                    closing = _closed;
                    if (closing || _inbox.WrittenCount == 0)
                    {
                        _draining = false;
                        if (!closing)
                        {
                            return;
                        }
                    }
                    else
                    {
                        Append(ref _work, ref _workLength, _inbox.WrittenSpan);
                        Reset(ref _inbox);
                    }
                }
                if (closing)
                {
                    DisposeSession();
                    ReportClosed(null);
                    return;
                }
                Consume();
            }
        }
        catch (Exception fault)
        {
            lock (_gate)
            {
                _closed = true;
                _draining = false;
            }
            DisposeSession();
            ReportClosed(fault);
        }
    }

    /// <summary>One pass of the session over the requests at hand, and its answers delivered.</summary>
    private void Consume()
    {
        int consumed;
        fixed (byte* request = _work)
        {
            consumed = _session.TryConsumeMessages(request, _workLength);
        }
        // A request cut short (the rest comes with a later flush) stays at the front.
        _work.AsSpan(consumed, _workLength - consumed).CopyTo(_work);
        _workLength -= consumed;
        Shrink(ref _work, _workLength);
        if (_answers.WrittenCount == 0)
        {
            return;
        }
        var receiver = _receiver!;
        var keep = receiver.OnReceived(_answers.WrittenSpan);
        Reset(ref _answers);
        receiver.OnBatchEnd();
        if (!keep)
        {
            Close();
        }
    }

    private void DisposeSession()
    {
        if (Interlocked.Exchange(ref _sessionDisposed, 1) == 0)
        {
            _session.Dispose();
        }
    }

    private void ReportClosed(Exception? fault)
    {
        if (_closeReported)
        {
            return;
        }
        _closeReported = true;
        _receiver?.OnClosed(fault);
    }

    private static void Reset(ref ArrayBufferWriter<byte> buffer)
    {
        if (buffer.Capacity > RetainedBytes)
        {
            buffer = new ArrayBufferWriter<byte>();
        }
        else
        {
            buffer.ResetWrittenCount();
        }
    }

    private static void Shrink(ref byte[] buffer, int length)
    {
        if (buffer.Length > RetainedBytes && length == 0)
        {
            buffer = new byte[4096];
        }
    }

    private static void Append(ref byte[] buffer, ref int length, ReadOnlySpan<byte> bytes)
    {
        if (length + bytes.Length > buffer.Length)
        {
            Array.Resize(ref buffer, Math.Max(length + bytes.Length, buffer.Length * 2));
        }
        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
    }

    // The session's side: it writes its answers into the pinned buffer and sends them from there,
    // only while it consumes a batch: this connection never subscribes (pushes come to the
    // subscription connection, on the port), so nothing writes to it from another thread.

    public MaxSizeSettings GetMaxSizeSettings { get; }

    public string RemoteEndpointName => "in-process";

    public string LocalEndpointName => "in-process";

    public bool IsLocalConnection() => true;

    public void Enter()
    {
    }

    public void EnterAndGetResponseObject(out byte* head, out byte* tail)
    {
        head = _responseHead;
        tail = _responseHead + _response.Length;
    }

    public void Exit()
    {
    }

    public void ExitAndReturnResponseObject()
    {
    }

    public void GetResponseObject()
    {
    }

    public void ReturnResponseObject()
    {
    }

    public byte* GetResponseObjectHead() => _responseHead;

    public byte* GetResponseObjectTail() => _responseHead + _response.Length;

    public bool SendResponse(int offset, int size)
    {
        _answers.Write(_response.AsSpan(offset, size));
        return true;
    }

    public void SendResponse(byte[] buffer, int offset, int count, object context) => _answers.Write(buffer.AsSpan(offset, count));

    public void SendCallback(object context)
    {
    }

    public void DisposeNetworkSender(bool waitForSendCompletion) => Close();

    public void Throttle()
    {
    }

    public bool TryClose()
    {
        Close();
        return true;
    }

    // The session ends itself (a request it could not parse): what it answered is still delivered,
    // then the connection closes, as a server closing its socket would.
    private void Close()
    {
        lock (_gate)
        {
            _closed = true;
        }
    }

    void IDisposable.Dispose() => Close();
}
