using Cluster.Contracts;
using Cluster.Protocol.V1;
using Cluster.Worker.Internal;
using Google.Protobuf;
using Grpc.Core;

namespace Cluster.Worker;

/// <summary>The sender: results, notices, credits and heartbeats in batched messages, none over the wire's bound.</summary>
public sealed partial class WorkerProcess
{
    private const int MaxResultsPerMessage = 1024;
    /// <summary>Room kept in every message for its fixed fields: heartbeat, credits, draining.</summary>
    private const int FixedFieldsBytes = 256;
    /// <summary>
    /// Bytes of results, notices and handed-back ids in one message: no message is larger than
    /// <see cref="WireLimits.MaxMessageBytes"/>, the receive limit gRPC keeps by default. One
    /// result always fits an empty message: its value is at most the result limit (at most
    /// <see cref="WireLimits.MaxPayloadBytes"/>), its error text is cut short.
    /// </summary>
    private const int MessageBudget = WireLimits.MaxMessageBytes - FixedFieldsBytes;

    private async Task SendLoopAsync(IClientStreamWriter<WorkerMessage> stream, int generation, CancellationToken cancellationToken)
    {
        var reader = _outgoing.Reader;
        var events = new List<TaskEvent>();
        var finished = new HashSet<string>(StringComparer.Ordinal);
        WorkerMessage message = null!;
        var room = 0;
        // Taken from the queue, but the last message had no room left for it.
        Outgoing? carried = null;
        // Notices the last message had no room left for.
        var noticesLeft = false;
        // The drain is over: this message is the last.
        var closing = false;

        bool Fits(int bytes) => bytes <= room || (message.Results.Count == 0 && message.Released.Count == 0 && events.Count == 0);

        // Takes the notices of this connection's runs while they fit; false when some are left.
        // Started notices are made here, for the runs running now that have had none.
        bool TakeNotices()
        {
            foreach (var run in _running.Values)
            {
                if (run.StartNoticed || run.Generation != generation || !run.HasStarted)
                {
                    continue;
                }
                var notice = Event(run.Assignment, started: true);
                var bytes = WireLimits.ElementBytes(notice);
                if (!Fits(bytes))
                {
                    return false;
                }
                run.StartNoticed = true;
                events.Add(notice);
                room -= bytes;
            }
            foreach (var (key, notice) in _progress)
            {
                if (!_running.TryGetValue(key, out var run) || run.Generation != generation)
                {
                    _progress.TryRemove(key, out _); // of a run that ended, or of an earlier connection
                    continue;
                }
                var bytes = WireLimits.ElementBytes(notice);
                if (!Fits(bytes))
                {
                    return false;
                }
                if (_progress.TryRemove(key, out var taken))
                {
                    events.Add(taken);
                    room -= bytes;
                }
            }
            return true;
        }

        // Adds the handed-back ids that fit; returns what is left of the item, if anything.
        Outgoing? TakeReleased(Outgoing item)
        {
            var ids = item.Released!;
            for (var i = 0; i < ids.Count; i++)
            {
                var bytes = WireLimits.ElementBytes(ids[i]);
                if (!Fits(bytes))
                {
                    return item with { Released = ids.Skip(i).ToList() };
                }
                message.Released.Add(ids[i]);
                room -= bytes;
            }
            return null;
        }

        while (carried is not null || noticesLeft || await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            message = new WorkerMessage();
            room = MessageBudget;
            int threadCredits = 0, coroutineCredits = 0;
            events.Clear();
            finished.Clear();
            if (noticesLeft)
            {
                noticesLeft = !TakeNotices();
            }
            // What the last message had no room for goes first.
            var next = carried;
            carried = null;
            while (!closing && !noticesLeft && carried is null && message.Results.Count < MaxResultsPerMessage)
            {
                Outgoing? item = next;
                next = null;
                if (item is null && !reader.TryRead(out item))
                {
                    break;
                }
                switch (item.Kind)
                {
                    case OutgoingKind.Heartbeat:
                        Volatile.Write(ref _heartbeatPending, 0);
                        message.Heartbeat = new Heartbeat();
                        break;
                    case OutgoingKind.Notices:
                        Volatile.Write(ref _progressFlushPending, 0);
                        noticesLeft = !TakeNotices();
                        break;
                    case OutgoingKind.Close:
                        closing = true;
                        break;
                    case OutgoingKind.Released:
                        message.Draining = true;
                        if (item.Generation == generation)
                        {
                            carried = TakeReleased(item);
                        }
                        break;
                    case OutgoingKind.Result when item.Generation == generation:
                        var bytes = WireLimits.ElementBytes(item.Result!);
                        if (!Fits(bytes))
                        {
                            carried = item;
                            break;
                        }
                        message.Results.Add(item.Result);
                        room -= bytes;
                        finished.Add(item.Result!.TaskId);
                        // The slot's credit travels with its result: a slot is free again only once its result is on its way.
                        threadCredits += item.Slot == Executor.ThreadPool ? 1 : 0;
                        coroutineCredits += item.Slot == Executor.CoroutineLoop ? 1 : 0;
                        break;
                    default:
                        // A result of an earlier connection: that lease was handed back when the stream broke.
                        break;
                }
            }
            // Notices filled this message before the item left over from the last one was reached.
            carried ??= next;
            // Coalesced: a task that finished within this message needs no started or progress notice.
            message.Events.AddRange(events.Where(e => !finished.Contains(e.TaskId)));
            lock (_slots)
            {
                threadCredits = _window.Settle(threadCredits + _threadCredits);
                coroutineCredits += _coroutineCredits;
                _threadCredits = 0;
                _coroutineCredits = 0;
            }
            if (threadCredits > 0)
            {
                message.ThreadCredits = threadCredits;
            }
            if (coroutineCredits > 0)
            {
                message.CoroutineCredits = coroutineCredits;
            }
            if (message.Results.Count > 0 || message.Events.Count > 0 || message.Heartbeat is not null || message.Draining || message.Released.Count > 0 || threadCredits > 0 || coroutineCredits > 0)
            {
                HopTrace.MarkEach("worker.sent", message.Results, static r => r.TaskId);
                await stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            }
            if (closing)
            {
                // Half-close: the coordinator commits every result it has read, then ends the call.
                // Cancelling the call instead would drop results still in flight, and their tasks would
                // run again. (Close is read only when nothing is carried over, so nothing is left.)
                await stream.CompleteAsync().ConfigureAwait(false);
                return;
            }
        }
    }
}
