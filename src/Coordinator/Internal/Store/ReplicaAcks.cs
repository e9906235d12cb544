using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// `--replica-acks N`: after each script, WAIT until N replicas of the master that ran it have
/// everything this coordinator wrote to it, so a call is acknowledged only once a failover to one
/// of them cannot lose it. Kept per store connection, so that every script run
/// (<see cref="Script.RunAsync"/>) finds it without being told. WAIT holds its connection until
/// the replicas answer, so one WAIT at a time goes to each master, and it answers every script
/// that finished before it was sent: under load, many scripts share one WAIT.
/// </summary>
internal sealed class ReplicaAcks
{
    /// <summary>How long WAIT waits for the replicas before the call fails.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    private static readonly ConditionalWeakTable<IConnectionMultiplexer, ReplicaAcks> ByStore = [];
    private readonly object[] _wait;
    private readonly Lock _gate = new();
    // Per master: the scripts waiting for the next WAIT (one is in flight while the entry exists).
    private readonly Dictionary<EndPoint, TaskCompletionSource?> _next = [];

    private ReplicaAcks(int replicas)
    {
        Replicas = replicas;
        _wait = [replicas.ToString(CultureInfo.InvariantCulture), ((long)Timeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)];
    }

    public int Replicas { get; }

    /// <summary>Makes every script run on <paramref name="redis"/> wait for <paramref name="replicas"/> replicas (0: none).</summary>
    public static void Require(IConnectionMultiplexer redis, int replicas)
    {
        if (replicas > 0)
        {
            ByStore.AddOrUpdate(redis, new ReplicaAcks(replicas));
        }
    }

    /// <summary>The acknowledgement a script run on <paramref name="redis"/> waits for; null when none.</summary>
    public static ReplicaAcks? Of(IConnectionMultiplexer redis) => ByStore.TryGetValue(redis, out var acks) ? acks : null;

    /// <summary>
    /// Returns once the replicas of the master that holds <paramref name="key"/> have every write
    /// this coordinator sent it so far (a WAIT sent after them, on that master's connection, the
    /// one the scripts went over); throws <see cref="ReplicaAcksException"/> when fewer answer
    /// within <see cref="Timeout"/>.
    /// </summary>
    public Task WaitAsync(IDatabase db, RedisKey key)
    {
        var server = db.Multiplexer.GetServer(key);
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_next.TryGetValue(server.EndPoint, out var next))
            {
                // A WAIT is in flight, sent perhaps before this script's writes: join the next one.
                waiter = next ?? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _next[server.EndPoint] = waiter;
                return waiter.Task;
            }
            _next[server.EndPoint] = null;
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        _ = RunAsync(server, waiter);
        return waiter.Task;
    }

    /// <summary>Sends WAIT for <paramref name="waiters"/>, then for whoever joined meanwhile, until nobody waits.</summary>
    private async Task RunAsync(IServer server, TaskCompletionSource waiters)
    {
        while (true)
        {
            try
            {
                // Acknowledged: from here every write sent before the WAIT is on this many replicas.
                var acked = (long)await server.ExecuteAsync("WAIT", _wait).ConfigureAwait(false);
                if (acked < Replicas)
                {
                    waiters.TrySetException(new ReplicaAcksException(
                        $"The task store's master {StoreAddress.Of([server.EndPoint])} had {acked} of the {Replicas} replica acknowledgements --replica-acks requires within {Timeout.TotalSeconds:0} s: "
                        + "the call's writes are on the master but may not survive a failover. Bring its replicas back (or lower --replica-acks); the call may be retried."));
                }
                else
                {
                    waiters.TrySetResult();
                }
            }
            catch (Exception e)
            {
                waiters.TrySetException(e);
            }
            lock (_gate)
            {
                if (_next[server.EndPoint] is not { } next)
                {
                    _next.Remove(server.EndPoint);
                    return;
                }
                _next[server.EndPoint] = null;
                waiters = next;
            }
        }
    }
}
