namespace Cluster.FaultSuite;

/// <summary>
/// What the hop trace of a scenario counted, per task id: the completions the client read off its
/// stream (before de-duplication), and the worker processes each run of the task began in, oldest first.
/// </summary>
internal sealed record TraceCounts(IReadOnlyDictionary<string, int> Wire, IReadOnlyDictionary<string, IReadOnlyList<Run>> Runs)
{
    /// <summary>
    /// Tasks whose completion arrived more than once. The client resumes its stream after the
    /// last sequence number it read, so a coordinator never has cause to send one task's
    /// completion twice: every second arrival counts, whatever its outcome or attempt.
    /// </summary>
    public int WireTwice => Wire.Values.Count(n => n > 1);

    /// <summary>The most runs any task began on the workers.</summary>
    public int MaxRuns => Runs.Values.Select(r => r.Count).DefaultIfEmpty(0).Max();

    /// <summary>Tasks that began more than one run.</summary>
    public int RanAgain => Runs.Values.Count(r => r.Count > 1);

    /// <summary>The worker processes a task's runs began in, oldest first.</summary>
    public IReadOnlyList<int> ProcessesOf(string taskId) => [.. (Runs.GetValueOrDefault(taskId) ?? []).Select(r => r.Pid)];

    /// <summary>
    /// Tasks that ran again without the fault to explain it. The fault explains any run it hit
    /// (<paramref name="hit"/>: one cut short by a kill, cut off from its coordinator, or begun
    /// by a paused process after it woke on a lease taken from it meanwhile); outside those, a
    /// task may begin one run, no more.
    /// </summary>
    public int Unexplained(Func<Run, bool> hit) => UnexplainedTasks(hit).Count();

    /// <summary>The tasks <see cref="Unexplained"/> counts, with their runs.</summary>
    public IEnumerable<KeyValuePair<string, IReadOnlyList<Run>>> UnexplainedTasks(Func<Run, bool> hit) =>
        Runs.Where(r => r.Value.Count > 1 && r.Value.Count(run => !hit(run)) > 1);

    /// <summary>
    /// Tasks the trace missed: a done future whose completion was never read off the wire, or a
    /// result that no traced run produced. A gap means the trace, not the cluster, is broken; the
    /// scenario fails rather than report counts it cannot vouch for.
    /// </summary>
    public int Gaps(IEnumerable<(string Id, bool HasResult)> done) =>
        done.Count(d => Wire.GetValueOrDefault(d.Id) == 0 || (d.HasResult && !Runs.ContainsKey(d.Id)));
}
