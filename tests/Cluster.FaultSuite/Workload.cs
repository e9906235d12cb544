using System.Collections.Concurrent;
using System.Diagnostics;
using Cluster.Client;

namespace Cluster.FaultSuite;

/// <summary>
/// Tasks from one client, each resolution timed. A done-callback runs once by construction, so
/// duplicates are counted on the wire instead (<see cref="RunTrace"/>).
/// </summary>
internal sealed class Workload(ClusterExecutor executor)
{
    private int _done;
    private readonly ConcurrentBag<long> _doneAt = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _faultAt = -1;

    public List<(ClusterFuture<int> Future, int Expected)> Futures { get; } = [];

    public int Done => Volatile.Read(ref _done);

    public ClusterExecutor Executor => executor;

    /// <summary>Submits <paramref name="count"/> × spin(<paramref name="ms"/>), which returns ms.</summary>
    public void Spin(int count, int ms)
    {
        for (var i = 0; i < count; i++)
        {
            Track(executor.Submit<int>("spin", ms), ms);
        }
    }

    public ClusterFuture<int> Track(ClusterFuture<int> future, int expected)
    {
        future.AddDoneCallback(f =>
        {
            Interlocked.Increment(ref _done);
            _doneAt.Add(_clock.ElapsedTicks);
        });
        Futures.Add((future, expected));
        return future;
    }

    public async Task WaitForDoneAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (Done < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
    }

    public void MarkFault() => Interlocked.Exchange(ref _faultAt, _clock.ElapsedTicks);

    /// <summary>Waits (bounded) for every future and measures.</summary>
    public async Task<Outcome> FinishAsync(TimeSpan timeout, Func<ClusterFuture<int>, bool>? expectedFailure = null)
    {
        try
        {
            await Task.WhenAll(Futures.Select(f => f.Future.WhenDone())).WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
        }
        // Callbacks run once the state is final; give the last ones a moment.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Done < Futures.Count(f => f.Future.Done) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        var lost = Futures.Count(f => !f.Future.Done);
        var odd = new List<ClusterFuture<int>>();
        var done = new List<(string Id, bool HasResult)>();
        foreach (var (future, expected) in Futures.Where(f => f.Future.Done))
        {
            var ok = expectedFailure?.Invoke(future) ?? (future.GetException(TimeSpan.Zero) is null && future.Result(TimeSpan.Zero) == expected);
            if (!ok)
            {
                odd.Add(future);
            }
            done.Add((future.Id, !future.Cancelled && future.GetException(TimeSpan.Zero) is null));
        }
        var maxAttempt = Futures.Where(f => f.Future.Done).Select(f => f.Future.Attempt).DefaultIfEmpty(0).Max();
        TimeSpan? recovery = null, allDone = null;
        var fault = Interlocked.Read(ref _faultAt);
        var after = _doneAt.Where(t => t >= fault).ToList();
        if (fault >= 0 && after.Count > 0)
        {
            // The outage a client saw: the longest wait for a next result, from the fault on.
            var points = after.Order().Prepend(fault).ToList();
            var stall = points.Zip(points.Skip(1), (a, b) => b - a).Max();
            recovery = TimeSpan.FromSeconds(stall / (double)Stopwatch.Frequency);
            allDone = TimeSpan.FromSeconds((after.Max() - fault) / (double)Stopwatch.Frequency);
        }
        return new Outcome(lost, odd.Count, maxAttempt, recovery, allDone, odd, done);
    }
}
