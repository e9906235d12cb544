using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// Writes what this coordinator's batches did (<see cref="TaskStore.Stats"/>) to the store once a
/// second, just after each whole second of its clock, into that second's bucket: one script call a
/// second while tasks move, none while nothing happens. A finished sample whose submit time was not
/// in the store yet (submitted through another coordinator, which writes it at its own next second)
/// is tried once more at the next flush. The runs that ended are counted per task name from the
/// coordinator's meter while this loop runs (<see cref="ClusterStats.ListenToRuns"/>).
/// </summary>
internal sealed partial class StatsFlush(IServiceProvider services, ILogger<StatsFlush> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        List<(string Id, long Ms)> again = [];
        IDisposable? listening = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var now = DateTimeOffset.UtcNow;
                // Just past the next whole second: what was counted since belongs to the second that ended.
                await Task.Delay(TimeSpan.FromMilliseconds(1050 - now.Millisecond), stoppingToken).ConfigureAwait(false);
                var second = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1);
                try
                {
                    // Taken here, not at construction: a hosted coordinator's store connects as the host starts.
                    var store = services.GetRequiredService<TaskStore>();
                    listening ??= store.Stats.ListenToRuns();
                    var taken = store.Stats.Take();
                    if (again.Count > 0)
                    {
                        taken = taken with { FinishedSamples = [.. taken.FinishedSamples, .. again] };
                    }
                    if (taken.Empty)
                    {
                        again = [];
                        continue;
                    }
                    var retried = again.Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
                    var missed = (await store.WriteStatsAsync(taken, second).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
                    again = [.. taken.FinishedSamples.Where(s => missed.Contains(s.Id) && !retried.Contains(s.Id))];
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A figure for people: this second's counts are dropped, the next ones are written.
                    again = [];
                    LogFlushFailed(e.Message);
                }
            }
        }
        finally
        {
            listening?.Dispose();
        }
    }

    [LoggerMessage(EventId = 801, Level = LogLevel.Debug, Message = "Dashboard counts not written: {Reason}")]
    private partial void LogFlushFailed(string reason);
}
