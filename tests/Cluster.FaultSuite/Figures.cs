namespace Cluster.FaultSuite;

/// <summary>What one scenario measured.</summary>
internal sealed record Figures(
    string Scenario,
    string Fault,
    int Tasks,
    int FaultsInjected,
    int Lost,
    int Wrong,
    int WireTwice,
    int MaxRuns,
    int RanAgain,
    int Unexplained,
    int MaxAttempt,
    TimeSpan? Recovery,
    TimeSpan? AllDone,
    int ProcessesLeft,
    bool Passed,
    string Note)
{
    /// <summary>
    /// Judges a scenario: it passes when its fault really happened (at least
    /// <paramref name="faultsExpected"/> counted), nothing was lost or wrong, no completion came
    /// twice on the wire, every task that ran again did so because of the fault
    /// (<paramref name="hit"/>, <see cref="TraceCounts.Unexplained"/>), no task ran more than <paramref name="runBound"/> times, the trace
    /// saw every task, and no process was left behind.
    /// </summary>
    public static Figures Judge(string scenario, string fault, int tasks, int faults, int faultsExpected, Outcome outcome, TraceCounts trace,
        Func<Run, bool> hit, int runBound, int left, string note = "")
    {
        var unexplained = trace.Unexplained(hit);
        var gaps = trace.Gaps(outcome.Done);
        var problems = new List<string>();
        if (faults < faultsExpected)
        {
            problems.Add($"the fault happened {faults} times, expected {faultsExpected}");
        }
        if (gaps > 0)
        {
            problems.Add($"{gaps} tasks missing from the trace");
        }
        if (trace.UnexplainedTasks(hit).FirstOrDefault() is { Key: { } task, Value: var runs })
        {
            problems.Add($"{unexplained} tasks ran again with no fault to explain it, e.g. {task} began runs in processes {string.Join(", ", runs.Select(r => r.Pid))}");
        }
        if (trace.Wire.FirstOrDefault(w => w.Value > 1) is { Key: { } twice, Value: var arrivals })
        {
            problems.Add($"{trace.WireTwice} completions came twice on the wire, e.g. {twice} ({arrivals} times)");
        }
        if (trace.MaxRuns > runBound)
        {
            problems.Add($"a task ran {trace.MaxRuns} times, the bound is {runBound}");
        }
        var passed = problems.Count == 0 && outcome.Lost == 0 && outcome.Wrong == 0 && trace.WireTwice == 0 && unexplained == 0 && left == 0;
        var text = string.Join("; ", problems.Append(note.Trim()).Append(outcome.Describe()).Where(s => s.Length > 0));
        return new Figures(scenario, fault, tasks, faults, outcome.Lost, outcome.Wrong, trace.WireTwice, trace.MaxRuns, trace.RanAgain, unexplained,
            outcome.MaxAttempt, outcome.Recovery, outcome.AllDone, left, passed, text);
    }

    /// <summary>A scenario whose harness broke before it could measure: it fails.</summary>
    public static Figures Broken(string scenario, string fault, int tasks, int left, Exception error) =>
        new(scenario, fault, tasks, 0, tasks, 0, 0, 0, 0, 0, 0, null, null, left, false, "harness error: " + error.Message.Split('\n')[0]);

    /// <summary>A scenario this machine cannot run (no root, no iproute2).</summary>
    public static Figures Skipped(string scenario, string fault, string why) =>
        new(scenario, fault, 0, 0, 0, 0, 0, 0, 0, 0, 0, null, null, 0, true, "skipped: " + why);

    public override string ToString() =>
        $"{(Passed ? "PASS" : "FAIL")} tasks={Tasks} faults={FaultsInjected} lost={Lost} wrong={Wrong} wireTwice={WireTwice} maxRuns={MaxRuns} ranAgain={RanAgain} unexplained={Unexplained} maxAttempt={MaxAttempt} recovery={Report.Seconds(Recovery)} allDone={Report.Seconds(AllDone)} left={ProcessesLeft} {Note}";
}
