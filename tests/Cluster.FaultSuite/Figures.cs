namespace Cluster.FaultSuite;

/// <summary>What one scenario measured.</summary>
internal sealed record Figures(
    string Scenario,
    string Fault,
    int Tasks,
    int FaultsInjected,
    int Lost,
    int ResolvedTwice,
    int Wrong,
    int MaxRuns,
    TimeSpan? Recovery,
    TimeSpan? AllDone,
    int ProcessesLeft,
    bool Passed,
    string Note)
{
    public override string ToString() =>
        $"{(Passed ? "PASS" : "FAIL")} tasks={Tasks} lost={Lost} twice={ResolvedTwice} wrong={Wrong} maxRuns={MaxRuns} recovery={Report.Seconds(Recovery)} allDone={Report.Seconds(AllDone)} left={ProcessesLeft} {Note}";
}
