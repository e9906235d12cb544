using System.Runtime.CompilerServices;
using Cluster.Client.Internal;

namespace Cluster.Client;

/// <summary>Waiting on many futures: <c>as_completed</c> and <c>wait</c> from concurrent.futures.</summary>
public static class ClusterFutures
{
    /// <summary>
    /// Yields each distinct future once, as it completes (finishes or is cancelled); those already
    /// done come first. The timeout counts from the start of the enumeration.
    /// </summary>
    /// <exception cref="TimeoutException">"N (of M) futures unfinished" when the timeout passes first.</exception>
    public static IEnumerable<TFuture> AsCompleted<TFuture>(IEnumerable<TFuture> futures, TimeSpan? timeout = null) where TFuture : ClusterFuture
    {
        var distinct = Distinct(futures);
        return Iterate();

        IEnumerable<TFuture> Iterate()
        {
            var deadline = Deadline.After(timeout);
            var queue = new CompletionQueue<TFuture>(distinct);
            for (var yielded = 0; yielded < distinct.Count; yielded++)
            {
                if (!queue.TryTake(deadline.Remaining, out var next))
                {
                    throw Unfinished(distinct.Count - yielded, distinct.Count);
                }
                yield return next;
            }
        }
    }

    /// <inheritdoc cref="AsCompleted{TFuture}"/>
    public static IAsyncEnumerable<TFuture> AsCompletedAsync<TFuture>(IEnumerable<TFuture> futures, TimeSpan? timeout = null, CancellationToken cancellationToken = default) where TFuture : ClusterFuture
    {
        var distinct = Distinct(futures);
        return Iterate(cancellationToken);

        async IAsyncEnumerable<TFuture> Iterate([EnumeratorCancellation] CancellationToken token = default)
        {
            var deadline = Deadline.After(timeout);
            var queue = new CompletionQueue<TFuture>(distinct);
            for (var yielded = 0; yielded < distinct.Count; yielded++)
            {
                var next = await queue.TakeAsync(deadline.Remaining, token).ConfigureAwait(false) ?? throw Unfinished(distinct.Count - yielded, distinct.Count);
                yield return next;
            }
        }
    }

    /// <summary>
    /// Waits until <paramref name="returnWhen"/> holds or the timeout passes (null: no limit), and
    /// returns the distinct futures done and not done. A timeout does not throw.
    /// </summary>
    public static DoneAndNotDone<TFuture> Wait<TFuture>(IEnumerable<TFuture> futures, TimeSpan? timeout = null, ReturnWhen returnWhen = ReturnWhen.AllCompleted) where TFuture : ClusterFuture =>
        Blocking.Wait(WaitAsync(futures, timeout, returnWhen));

    /// <inheritdoc cref="Wait{TFuture}"/>
    public static async Task<DoneAndNotDone<TFuture>> WaitAsync<TFuture>(IEnumerable<TFuture> futures, TimeSpan? timeout = null, ReturnWhen returnWhen = ReturnWhen.AllCompleted, CancellationToken cancellationToken = default) where TFuture : ClusterFuture
    {
        var distinct = Distinct(futures);
        var deadline = Deadline.After(timeout);
        var done = new HashSet<TFuture>(distinct.Where(f => f.Done), ReferenceEqualityComparer.Instance);
        if (!Satisfied(done, distinct.Count, returnWhen))
        {
            var queue = new CompletionQueue<TFuture>(distinct.Where(f => !done.Contains(f)));
            while (await queue.TakeAsync(deadline.Remaining, cancellationToken).ConfigureAwait(false) is { } next)
            {
                done.Add(next);
                if (Satisfied(done, distinct.Count, returnWhen))
                {
                    break;
                }
            }
        }
        var notDone = new HashSet<TFuture>(distinct.Where(f => !done.Contains(f)), ReferenceEqualityComparer.Instance);
        return new DoneAndNotDone<TFuture>(done, notDone);
    }

    private static bool Satisfied<TFuture>(HashSet<TFuture> done, int total, ReturnWhen returnWhen) where TFuture : ClusterFuture => returnWhen switch
    {
        // With no futures at all there is nothing to wait for, as concurrent.futures.wait([]).
        ReturnWhen.FirstCompleted => done.Count > 0 || done.Count == total,
        ReturnWhen.FirstException => done.Any(f => f.Failed) || done.Count == total,
        ReturnWhen.AllCompleted => done.Count == total,
        _ => throw new ArgumentOutOfRangeException(nameof(returnWhen), returnWhen, "Unknown ReturnWhen."),
    };

    private static List<TFuture> Distinct<TFuture>(IEnumerable<TFuture> futures) where TFuture : ClusterFuture
    {
        ArgumentNullException.ThrowIfNull(futures);
        var seen = new HashSet<TFuture>(ReferenceEqualityComparer.Instance);
        var list = new List<TFuture>();
        foreach (var future in futures)
        {
            ArgumentNullException.ThrowIfNull(future, nameof(futures));
            if (seen.Add(future))
            {
                list.Add(future);
            }
        }
        return list;
    }

    private static TimeoutException Unfinished(int pending, int total) => new($"{pending} (of {total}) futures unfinished");
}
