using System.Threading.Channels;
using Cluster.Coordinator.Internal.Store;
using Cluster.Protocol.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.Coordinator.Internal.Dashboard;

/// <summary>
/// The one push loop of a coordinator's dashboard: while at least one page listens, it reads the
/// cluster's aggregates from the store once a second (the admin status — one call per task name
/// and per worker, whatever the backlog — the dead letters' count, their page only when the
/// count changed or every <see cref="LetterRefresh"/>, the rates' newest buckets — the whole cluster's,
/// per task name too: <see cref="DashboardStats"/> — and the recurring schedules), renders them to JSON once, and hands that to
/// every open page. No page open: no store call at all.
/// </summary>
/// <remarks>
/// The store is taken from <paramref name="services"/> at the first page: in an application that hosts
/// the coordinator, it connects only as the host starts, after its hosted services are made.
/// </remarks>
internal sealed partial class DashboardFeed(IServiceProvider services, CoordinatorOptions options, ILogger<DashboardFeed> logger) : BackgroundService
{
    /// <summary>How often the pages are sent the state: at most once a second.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>The dead letters' page is read again at least this often even when their count stands still.</summary>
    public static readonly TimeSpan LetterRefresh = TimeSpan.FromSeconds(10);

    /// <summary>Dead letters shown (the oldest first).</summary>
    public const int LetterPage = 20;

    private readonly Lock _lock = new();
    private readonly List<Channel<byte[]>> _pages = [];
    private readonly SemaphoreSlim _wake = new(0);
    private readonly DashboardRates _rates = new();
    private readonly DashboardStats _stats = new();
    private byte[]? _last;
    private DeadLettersReply _letters = new();
    private long _lettersTotal = -1;
    private DateTime _lettersReadAt;
    private int _wakeRequested;

    /// <summary>Pages listening now.</summary>
    public int Listeners
    {
        get
        {
            lock (_lock)
            {
                return _pages.Count;
            }
        }
    }

    /// <summary>Store reads made by the loop (each tick: one status, one dead-letter count, one read of the rates, one of the schedules).</summary>
    public long Reads { get; private set; }

    /// <summary>
    /// A page's subscription: the latest state at once (when there is one), then each new one; a page
    /// that reads slowly skips states instead of queueing them. Dispose to leave.
    /// </summary>
    public Subscription Subscribe()
    {
        var channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_lock)
        {
            _pages.Add(channel);
            if (_last is { } last)
            {
                channel.Writer.TryWrite(last);
            }
        }
        if (Interlocked.Exchange(ref _wakeRequested, 1) == 0)
        {
            _wake.Release();
        }
        return new Subscription(this, channel);
    }

    /// <summary>Forces the next tick to read the dead letters' page (after an action changed them).</summary>
    public void LettersChanged() => _lettersTotal = -1;

    private void Leave(Channel<byte[]> channel)
    {
        lock (_lock)
        {
            _pages.Remove(channel);
        }
        channel.Writer.TryComplete();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            if (Listeners == 0)
            {
                _rates.Reset();
                _stats.Reset();
                Volatile.Write(ref _wakeRequested, 0);
                // Checked again: a page that came between the count and the reset must not wait for the next one.
                if (Listeners == 0)
                {
                    await _wake.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
                continue;
            }
            try
            {
                var json = await ReadAsync().ConfigureAwait(false);
                lock (_lock)
                {
                    _last = json;
                    foreach (var page in _pages)
                    {
                        page.Writer.TryWrite(json);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The store is away: the pages keep the last state; the health check says why.
                LogReadFailed(e.Message);
            }
            // A whole interval after each push, however long the read took: at most one push a second.
            await Task.Delay(Interval, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task<byte[]> ReadAsync()
    {
        var store = services.GetRequiredService<TaskStore>();
        var status = await store.StatusAsync().ConfigureAwait(false);
        var total = await store.DeadLetterCountAsync().ConfigureAwait(false);
        var now = DateTime.UtcNow;
        var figures = await _stats.UpdateAsync(store, now).ConfigureAwait(false);
        var schedules = await store.ListSchedulesAsync().ConfigureAwait(false);
        Reads += 4;
        if (total != _lettersTotal || now - _lettersReadAt >= LetterRefresh)
        {
            _letters = await store.DeadLettersAsync(new DeadLettersRequest { Limit = LetterPage }).ConfigureAwait(false);
            _lettersTotal = total;
            _lettersReadAt = now;
            Reads++;
        }
        var changes = _rates.Update(status, now);
        // Three heartbeats missed: the worker stands out on the page (the reaper takes it after the lease time).
        return DashboardJson.Render(status, _letters, total, changes, figures, schedules, now, options.HeartbeatInterval * 3);
    }

    /// <summary>A page's place in the feed.</summary>
    public sealed class Subscription(DashboardFeed feed, Channel<byte[]> channel) : IDisposable
    {
        /// <summary>The states, each a JSON document, as they come.</summary>
        public ChannelReader<byte[]> States => channel.Reader;

        /// <inheritdoc />
        public void Dispose() => feed.Leave(channel);
    }

    [LoggerMessage(EventId = 800, Level = LogLevel.Debug, Message = "Dashboard state not read: {Reason}")]
    private partial void LogReadFailed(string reason);
}
