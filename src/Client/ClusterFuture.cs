using System.Diagnostics;
using Cluster.Client.Internal;
using Cluster.Contracts;
using Cluster.Protocol.V1;
using Microsoft.Extensions.Logging;

namespace Cluster.Client;

/// <summary>
/// The eventual outcome of one task on the cluster, as <c>concurrent.futures.Future</c>. It resolves
/// exactly once, from the completion the coordinator streams back; nothing polls.
/// </summary>
public abstract class ClusterFuture
{
    private const int Queued = 0;
    private const int Sent = 1;
    private const int Withdrawn = 2;

    // What _callbacks holds once the future is done; most futures never have a callback.
    private static readonly List<Action<ClusterFuture>> Settled = [];

    // What "done" is decided under: one of a fixed set of locks shared by all futures (a lock held
    // for a few instructions, never around another), so a future carries no lock object of its own.
    private static readonly Lock[] Gates = [.. Enumerable.Range(0, 64).Select(_ => new Lock())];
    // What _answered holds once a coordinator has answered this future's submit (or it is done).
    private static readonly object AnswerGiven = new();

    // Null until a coordinator answers this future's submit; then AnswerGiven. While someone waits
    // for the answer, the source they wait on (made only then: most futures have no such waiter).
    // Back to null when the answer sends the task back to the local queue (its queue was full).
    private object? _answered;
    // Null until a callback is added; Settled once the future is done (its callbacks taken to run):
    // "done" is decided under the lock, as CPython's Future does.
    private List<Action<ClusterFuture>>? _callbacks;
    private int _state = (int)FutureState.Pending;
    private int _submit = Queued;
    private SemaphoreSlim? _cancelGate;

    private protected ClusterFuture(ClusterExecutor executor, string id, string name, bool chunked, TaskPolicy? policy)
    {
        Executor = executor;
        Id = id;
        Key = id;
        Name = name;
        Chunked = chunked;
        Policy = policy;
    }

    internal bool Chunked { get; }

    internal TaskPolicy? Policy { get; }

    internal string? IdempotencyKey { get; init; }

    /// <summary>The wire's not_before_unix_ms (0: now; a time above 0; a delay in ms below 0).</summary>
    internal long NotBefore { get; init; }
    /// <summary>0 to 9 (<see cref="SubmitOptions.Priority"/>); 5 is sent as nothing.</summary>
    internal int Priority { get; init; } = 5;

    /// <summary>The queue (<see cref="SubmitOptions.Queue"/>); null for the default.</summary>
    internal string? Queue { get; init; }

    /// <summary>Attached (<see cref="ClusterExecutor.Attach{TResult}(string)"/>): submitted by any session of the identity, so a cancel names no session.</summary>
    internal bool AnySession { get; init; }

    /// <summary>Its key among the executor's futures: the id, or for an attached future one of its own.</summary>
    internal string Key { get; init; }

    /// <summary>Its submit span, trace context and submit time; null when nothing traces or measures it.</summary>
    internal Internal.Telemetry.FutureTrace? Trace { get; init; }

    /// <summary>The futures among its arguments (inputs whose results the store puts in their places); empty when none.</summary>
    internal IReadOnlyList<ClusterFuture> Inputs { get; init; } = [];

    /// <summary>
    /// As far as this process knows, the store has the task, or had it: a coordinator answered its
    /// submit, it is done, or it was attached (submitted elsewhere).
    /// </summary>
    internal bool Stored => AnySession || Accepted || Done;

    /// <summary>Completes when a coordinator has answered this future's submit (stored or refused), or it is done.</summary>
    internal Task AnsweredTask
    {
        get
        {
            while (true)
            {
                switch (Volatile.Read(ref _answered))
                {
                    case TaskCompletionSource waiting:
                        return waiting.Task;
                    case { }:
                        return Task.CompletedTask;
                }
                var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (Interlocked.CompareExchange(ref _answered, source, null) is null)
                {
                    return source.Task;
                }
            }
        }
    }

    /// <summary>The JSON arguments, until a coordinator has accepted the task.</summary>
    internal ReadOnlyMemory<byte> Args { get; set; }

    /// <summary>The bytes this future holds of the executor's bound on unaccepted submits; 0 once returned.</summary>
    internal long PendingBytes;

    /// <summary>When (Stopwatch ticks) this submit was made, or last answered "wait": no coordinator has taken it since.</summary>
    internal long UnansweredSince { get; private set; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>How many times a coordinator has answered that the task's queue is full.</summary>
    internal int QueueFullAnswers { get; private set; }

    /// <summary>The task id, unique in the cluster.</summary>
    public string Id { get; }

    /// <summary>The task name.</summary>
    public string Name { get; }

    /// <summary>
    /// Where the task is now: <see cref="FutureState.Pending"/> until a worker has started it,
    /// then <see cref="FutureState.Running"/>, and at last <see cref="FutureState.Finished"/> (with a
    /// result or an error) or <see cref="FutureState.Cancelled"/>. It only moves forward.
    /// </summary>
    public FutureState State => (FutureState)Volatile.Read(ref _state);

    /// <summary>True once the task finished, failed or was cancelled.</summary>
    public bool Done => State is FutureState.Finished or FutureState.Cancelled;

    /// <summary>True once the future was cancelled; its result then throws <see cref="OperationCanceledException"/>.</summary>
    public bool Cancelled => State == FutureState.Cancelled;

    /// <summary>True while a worker runs the task (from the started notice the coordinator streams until the task is done).</summary>
    public bool Running => State == FutureState.Running;

    /// <summary>The attempt whose outcome this is (1 unless the task ran again after its worker vanished); 0 before it is done or if it never ran.</summary>
    public int Attempt { get; private set; }

    /// <summary>The latest progress its handler reported; null before the first report.</summary>
    public TaskProgress? Progress { get; private set; }

    /// <summary>
    /// Raised on the SDK's completion thread for each progress report that reaches this client
    /// (coalesced at the worker: at most one every 25 ms per worker process). Keep handlers short.
    /// </summary>
    public event EventHandler<TaskProgress>? ProgressChanged;

    /// <summary>The worker process connection that ran the task ("host-pid-..."), once done; null if it never ran.</summary>
    public string? WorkerId { get; private set; }

    internal ClusterExecutor Executor { get; }

    private protected abstract Task Outcome { get; }

    /// <summary>
    /// Attempts to cancel the task: true if it was still queued (it will never run) or is cancelled
    /// already; false if it is running or done — it is then left alone, as in concurrent.futures.
    /// </summary>
    public bool Cancel() => Blocking.Wait(CancelAsync());

    /// <summary>
    /// <see cref="Cancel"/>; with <paramref name="interrupt"/>, a task that is running has its
    /// CancellationToken fired on its worker as well: the call then returns true, and the future ends
    /// Cancelled once the handler stops by OperationCanceledException (Finished if it completes anyway).
    /// </summary>
    public async Task<bool> CancelAsync(bool interrupt = false)
    {
        if (Cancelled)
        {
            return true;
        }
        if (Done)
        {
            return false;
        }
        while (true)
        {
            var answered = AnsweredTask;
            if (Interlocked.CompareExchange(ref _submit, Withdrawn, Queued) == Queued)
            {
                // Never left this process (or came back to its queue, refused for now).
                return Resolve(cancelled: true) || Cancelled;
            }
            await answered.ConfigureAwait(false);
            if (Done)
            {
                return Cancelled;
            }
            if (Volatile.Read(ref _submit) != Queued)
            {
                break; // accepted: the coordinator cancels it
            }
        }
        // One cancel call at a time per future: the coordinator answers "not cancelled" to a second
        // call for a task the first one just cancelled, so it must see the first one's outcome.
        var gate = LazyInitializer.EnsureInitialized(ref _cancelGate, static () => new SemaphoreSlim(1, 1));
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Done)
            {
                return Cancelled;
            }
            var (cancelled, interrupted) = await Executor.CancelOnServerAsync(this, interrupt).ConfigureAwait(false);
            if (cancelled)
            {
                return Resolve(cancelled: true) || Cancelled;
            }
            return interrupted || Cancelled;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// The task's exception, or null if it succeeded. Waits up to <paramref name="timeout"/> (null: forever).
    /// </summary>
    /// <exception cref="TimeoutException">The task did not finish in time.</exception>
    /// <exception cref="OperationCanceledException">The future was cancelled.</exception>
    public Exception? GetException(TimeSpan? timeout = null)
    {
        WaitDone(timeout);
        if (Outcome.IsCanceled)
        {
            throw new OperationCanceledException($"Task {Id} was cancelled.");
        }
        return Outcome.Exception?.InnerException;
    }

    /// <summary>A task that completes (never faults) when this future is done, whatever its outcome.</summary>
    public Task WhenDone(CancellationToken cancellationToken = default) =>
        Outcome.ContinueWith(static _ => { }, cancellationToken, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>
    /// Runs <paramref name="callback"/> once the future is done, in the order callbacks were added;
    /// at once if it is done already. A callback that throws is logged and does not stop the others.
    /// </summary>
    public void AddDoneCallback(Action<ClusterFuture> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        lock (Gate)
        {
            if (!ReferenceEquals(_callbacks, Settled))
            {
                (_callbacks ??= []).Add(callback);
                return;
            }
        }
        Invoke(callback);
    }

    private protected void WaitDone(TimeSpan? timeout)
    {
        var outcome = Outcome;
        if (outcome.IsCompleted)
        {
            return;
        }
        var started = Stopwatch.GetTimestamp();
        var yielding = timeout is { } limit && limit < YieldBeforeBlocking ? limit : YieldBeforeBlocking;
        if (YieldUntilDone(outcome, started + (long)(yielding.TotalSeconds * Stopwatch.Frequency)))
        {
            return;
        }
        // The task's own wait: it spins a little, then blocks on a light event that the completion
        // sets, where the task's wait handle would be a kernel-style event made for this one wait.
        if (timeout is null)
        {
            outcome.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing).GetAwaiter().GetResult();
            return;
        }
        var left = timeout.Value - Stopwatch.GetElapsedTime(started);
        bool done;
        try
        {
            done = outcome.Wait(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
        catch (AggregateException)
        {
            // failed or cancelled: done; the caller reads which from the outcome
            done = true;
        }
        if (!done)
        {
            throw new TimeoutException($"Task {Id} did not finish within {timeout}.");
        }
    }

    /// <summary>
    /// Gives up the calling thread's core (<see cref="Thread.Yield"/>) until <paramref name="outcome"/>
    /// completes or the clock (<see cref="Stopwatch"/> ticks) passes <paramref name="until"/>: true
    /// when it completed. A blocked thread is woken by the completion's thread, which costs a
    /// wake-up and a wait for a core on every round trip; a yielding one sees the outcome at its
    /// next turn. Threads with work run first: yielding keeps no core from them.
    /// </summary>
    private static bool YieldUntilDone(Task outcome, long until)
    {
        while (!outcome.IsCompleted)
        {
            if (Stopwatch.GetTimestamp() > until)
            {
                return false;
            }
            Thread.Yield();
        }
        return true;
    }

    /// <summary>How long a blocking wait (<c>Result()</c>, <c>GetException()</c>) yields its thread before it blocks.</summary>
    private static readonly TimeSpan YieldBeforeBlocking = TimeSpan.FromMilliseconds(1);

    /// <summary>Claims the task for a submit batch; false when it was cancelled before it left.</summary>
    internal bool TryMarkSent() => Interlocked.CompareExchange(ref _submit, Sent, Queued) == Queued;

    /// <summary>A coordinator stored the task.</summary>
    internal void MarkAccepted() => Answer(AnswerGiven);

    /// <summary>A coordinator answered that it stored the task (and it is not back in this process's queue).</summary>
    internal bool Accepted => Volatile.Read(ref _submit) == Sent && ReferenceEquals(Volatile.Read(ref _answered), AnswerGiven);

    /// <summary>Sets what <see cref="_answered"/> holds, and wakes whoever waited for the answer.</summary>
    private void Answer(object? next) => (Interlocked.Exchange(ref _answered, next) as TaskCompletionSource)?.TrySetResult();

    private Lock Gate => Gates[System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this) & (Gates.Length - 1)];

    /// <summary>
    /// A coordinator answered that the task's queue is full: back to this process's queue, to be sent
    /// again later; until then a cancel withdraws it here.
    /// </summary>
    internal void Requeue()
    {
        UnansweredSince = System.Diagnostics.Stopwatch.GetTimestamp();
        QueueFullAnswers++;
        Interlocked.CompareExchange(ref _submit, Queued, Sent);
        // Not answered again; wakes a cancel that waited for the answer: it finds the task queued here and withdraws it.
        Answer(null);
    }

    internal void MarkRunning() => Interlocked.CompareExchange(ref _state, (int)FutureState.Running, (int)FutureState.Pending);

    internal void OnProgress(TaskProgress progress)
    {
        if (Done)
        {
            return;
        }
        MarkRunning();
        Progress = progress;
        try
        {
            ProgressChanged?.Invoke(this, progress);
        }
        catch (Exception e)
        {
            Executor.LogCallbackFailed(Id, e);
        }
    }

    /// <summary>Completes when the future is done; never faults.</summary>
    internal Task DoneTask => Outcome;

    /// <summary>Done with an exception (not cancelled).</summary>
    internal bool Failed => Outcome.IsFaulted;

    /// <summary>Resolves from a streamed completion; false if the future was resolved before.</summary>
    internal bool Resolve(Completion completion)
    {
        if (!Done)
        {
            WorkerId = completion.Worker.Length > 0 ? completion.Worker : null;
            Attempt = completion.Attempt;
        }
        return ResolveOutcome(completion);
    }

    private bool ResolveOutcome(Completion completion) => completion.OutcomeCase switch
    {
        Completion.OutcomeOneofCase.Result => Resolve(result: completion.Result.Memory),
        Completion.OutcomeOneofCase.Error when completion.Error.Type == DependencyFailedException.RemoteTypeName => Resolve(error: new DependencyFailedException(Id, completion.Error.Message)),
        Completion.OutcomeOneofCase.Error => Resolve(error: new RemoteTaskException(Id, completion.Error.Type, completion.Error.Message, completion.Error.StackTrace, completion.Error.Attempt,
            completion.DeadLettered, [.. completion.Attempts.Select(a => new RemoteTaskException(Id, a.Type, a.Message, a.StackTrace, a.Attempt))])),
        Completion.OutcomeOneofCase.Cancelled => Resolve(cancelled: true),
        _ => Resolve(error: new InvalidOperationException($"Task {Id} completed without an outcome.")),
    };

    internal bool Resolve(ReadOnlyMemory<byte> result = default, Exception? error = null, bool cancelled = false) =>
        !Done && Settle(result, error, cancelled);

    /// <summary>Reads the outcome (the result's JSON) and settles the future with it; false if it was done before.</summary>
    private protected abstract bool Settle(ReadOnlyMemory<byte> result, Exception? error, bool cancelled);

    /// <summary>
    /// Completes <paramref name="outcome"/>, marks the future done and takes its callbacks, all under
    /// the lock, as CPython's Future does: whoever sees it done (State, its result, a wait) sees its
    /// outcome, and a callback added from then on runs at once, before AddDoneCallback returns.
    /// </summary>
    private protected bool Settle<TValue>(TaskCompletionSource<TValue> outcome, TValue value, Exception? error, bool cancelled)
    {
        List<Action<ClusterFuture>>? callbacks;
        lock (Gate)
        {
            if (ReferenceEquals(_callbacks, Settled))
            {
                return false;
            }
            Executor.Forget(this);
            if (cancelled)
            {
                outcome.TrySetCanceled();
            }
            else if (error is not null)
            {
                outcome.TrySetException(error);
            }
            else
            {
                outcome.TrySetResult(value);
            }
            Interlocked.Exchange(ref _state, (int)(cancelled ? FutureState.Cancelled : FutureState.Finished));
            callbacks = _callbacks;
            _callbacks = Settled;
        }
        Trace?.Resolved(Name, error, cancelled);
        Answer(AnswerGiven);
        // A submit waiting for room finds this future done.
        Executor.ReturnPendingBytes(this);
        foreach (var callback in callbacks ?? [])
        {
            Invoke(callback);
        }
        return true;
    }

    private protected void Invoke<TFuture>(Action<TFuture> callback, TFuture future)
    {
        try
        {
            callback(future);
        }
        catch (Exception e)
        {
            Executor.LogCallbackFailed(Id, e);
        }
    }

    private void Invoke(Action<ClusterFuture> callback) => Invoke(callback, this);

    /// <summary>The future for logs, as Python prints one: <c>&lt;ClusterFuture ID NAME state=STATE&gt;</c>.</summary>
    public override string ToString() => $"<ClusterFuture {Id} {Name} state={State}>";
}
