using System.Threading.Channels;
using Cluster.Contracts;
using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal;

/// <summary>
/// Messages waiting to be written to the worker, counted in bytes: past <see cref="MaxOutboxBytes"/>
/// the lease loop leases nothing and submits hand nothing to this worker until the writer catches
/// up, so a worker that reads slowly holds at most that much (and one lease) in this coordinator.
/// </summary>
internal sealed partial class WorkerConnection
{
    /// <summary>The bytes of messages queued for the worker past which no more tasks are leased to it: two messages' worth.</summary>
    public const int MaxOutboxBytes = 2 * WireLimits.MaxMessageBytes;

    private readonly Channel<(CoordinatorMessage Message, int Bytes)> _outbox =
        Channel.CreateUnbounded<(CoordinatorMessage, int)>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
    private long _outboxBytes;

    /// <summary>Set each time the writer has written a message: room may have come free.</summary>
    public Signal Written { get; } = new();

    /// <summary>True while the messages waiting for the worker hold <see cref="MaxOutboxBytes"/> or more.</summary>
    public bool OutboxFull => Interlocked.Read(ref _outboxBytes) >= MaxOutboxBytes;

    /// <summary>Queues a message for the worker; false when the stream is done writing.</summary>
    public bool Send(CoordinatorMessage message)
    {
        var bytes = message.CalculateSize();
        Interlocked.Add(ref _outboxBytes, bytes);
        if (_outbox.Writer.TryWrite((message, bytes)))
        {
            return true;
        }
        Interlocked.Add(ref _outboxBytes, -bytes);
        return false;
    }

    /// <summary>The messages for the worker, in order; the reader calls <see cref="MarkWritten"/> after each.</summary>
    public ChannelReader<(CoordinatorMessage Message, int Bytes)> Outbox => _outbox.Reader;

    public void MarkWritten(int bytes)
    {
        Interlocked.Add(ref _outboxBytes, -bytes);
        Written.Set();
    }

    /// <summary>Nothing more is sent: the writer ends once it has written what is queued.</summary>
    public void CompleteOutbox() => _outbox.Writer.TryComplete();
}
