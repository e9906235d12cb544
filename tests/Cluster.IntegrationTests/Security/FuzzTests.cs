using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Xunit.Abstractions;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// Garbage at every RPC of a real `cluster up` (embedded store), over real HTTP/2, while a real client
/// runs beside it: random and mutated frames, extreme values. The seed is fixed (CLUSTER_FUZZ_SEED
/// overrides it), so a failure reproduces. Run without tokens, and with a tokens file and each
/// RPC's role, so the frames pass authentication and reach the scoped services.
/// </summary>
public abstract class FuzzTests<TCluster>(TCluster cluster, ITestOutputHelper output) where TCluster : ClusterFixture
{
    private const int DefaultSeed = 20261202;
    private const int Frames = 10_500;
    private const int ClientTasks = 2_000;
    // Log lines allowed per 1,000 frames, in bytes: the malformed-request line is rate-limited.
    private const int LogBytesPer1000Frames = 2_048;

    [Fact]
    public async Task Coordinator_AnswersEveryFuzzedFrame_WithoutUnknownOrInternal_StaysUp_LogsLittle_AndAClientBesideGetsEveryResult()
    {
        var seed = Environment.GetEnvironmentVariable("CLUSTER_FUZZ_SEED") is { Length: > 0 } text ? int.Parse(text, CultureInfo.InvariantCulture) : DefaultSeed;
        output.WriteLine($"fuzz seed {seed} (set CLUSTER_FUZZ_SEED to change it)");
        var logBefore = cluster.Output.Length;
        var token = cluster.FixtureToken;
        var fuzzer = new Fuzzer(cluster.Address, seed)
        {
            Tokens = token is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["client"] = token, ["worker"] = token, ["admin"] = token },
        };

        var stopwatch = Stopwatch.StartNew();
        var fuzzing = fuzzer.RunAsync(Frames);
        var client = RunClientAsync(seed, fuzzing);
        // About 7 s each: 100 s apiece is ample, and both with the status call below (60 s at most) stay
        // below the test run's 5-minute hang timeout.
        var outcomes = await fuzzing.WithTimeout(TimeSpan.FromSeconds(100));
        var fuzzed = stopwatch.Elapsed;
        var (expected, actual) = await client.WithTimeout(TimeSpan.FromSeconds(100));
        var status = await cluster.Admin.StatusAsync(new StatusRequest()).ResponseAsync.WithTimeout();
        var log = cluster.Output;

        output.WriteLine($"{outcomes.Count} frames in {fuzzed.TotalSeconds:0.0} s; statuses: {string.Join(", ", outcomes.GroupBy(o => o.Status).OrderBy(g => g.Key).Select(g => $"{g.Key?.ToString(CultureInfo.InvariantCulture) ?? "none"}×{g.Count()}"))}");
        // The process keeps its last 2,000 lines: fewer means none was pushed out.
        var newLog = log.Length >= logBefore ? log[logBefore..] : log;
        output.WriteLine("call time per RPC (mean, max): " + string.Join(", ", outcomes.GroupBy(o => o.Path).Select(g => $"{g.Key} {g.Average(o => o.Elapsed.TotalMilliseconds):0} ms, {g.Max(o => o.Elapsed.TotalMilliseconds):0} ms")));
        var faults = outcomes.Where(o => o.IsFault).OrderBy(o => o.Index).ToList();
        Assert.True(faults.Count == 0, $"Seed {seed}: {faults.Count} of {outcomes.Count} calls ended with UNKNOWN, INTERNAL or no status; the first ones:{Environment.NewLine}{string.Join(Environment.NewLine, faults.Take(10))}{Environment.NewLine}The coordinator's log meanwhile:{Environment.NewLine}{newLog[..Math.Min(newLog.Length, 8_000)]}");
        Assert.Equal(Frames, outcomes.Count);
        Assert.All(FuzzMessages.Rpcs, rpc => Assert.InRange(outcomes.Count(o => o.Path == rpc.Path), 1_000, Frames));
        Assert.True(ProcFs.IsAlive(cluster.ClusterProcessId), "The cluster process is gone.");
        Assert.NotEmpty(status.Workers);
        Assert.Equal(expected, actual);
        Assert.True(log.Split('\n').Length < 2_000 && newLog.Length <= LogBytesPer1000Frames * Frames / 1_000, $"The log grew by {newLog.Length} characters over {Frames} frames:{Environment.NewLine}{newLog[..Math.Min(newLog.Length, 4_000)]}");
        var stackLine = new Regex(@"^\s+at \S+\(", RegexOptions.Multiline).Match(newLog);
        Assert.False(stackLine.Success, $"The coordinator logged a stack trace:{Environment.NewLine}{newLog[Math.Max(0, stackLine.Index - 2_000)..Math.Min(newLog.Length, stackLine.Index + 1_000)]}");
    }

    /// <summary>A real client, submitting `add` tasks in rounds until its tasks are done and the fuzzer has finished.</summary>
    private async Task<(long[] Expected, long[] Actual)> RunClientAsync(int seed, Task fuzzing)
    {
        var random = new Random(seed);
        var pairs = Enumerable.Range(0, ClientTasks).Select(_ => (A: (long)random.Next(-1_000_000, 1_000_000), B: (long)random.Next(-1_000_000, 1_000_000))).ToArray();
        var actual = new long[ClientTasks];
        await using var executor = cluster.NewExecutor();
        const int Round = 100;
        for (var start = 0; start < ClientTasks; start += Round)
        {
            var futures = pairs[start..(start + Round)].Select(p => executor.Submit<long>("add", p.A, p.B).AsTask()).ToArray();
            (await Task.WhenAll(futures).WithTimeout()).CopyTo(actual, start);
        }
        output.WriteLine($"the client's {ClientTasks} tasks were done {(fuzzing.IsCompleted ? "after" : "before")} the fuzzer finished");
        return (pairs.Select(p => p.A + p.B).ToArray(), actual);
    }
}

/// <summary>No tokens: every call is the anonymous identity.</summary>
public sealed class OpenFuzzTests(SingleWorkerCluster cluster, ITestOutputHelper output) : FuzzTests<SingleWorkerCluster>(cluster, output), IClassFixture<SingleWorkerCluster>;

/// <summary>A tokens file: every frame carries the token of a role its RPC needs.</summary>
public sealed class TokensFuzzTests(FuzzTokensCluster cluster, ITestOutputHelper output) : FuzzTests<FuzzTokensCluster>(cluster, output), IClassFixture<FuzzTokensCluster>;

/// <summary>One worker process, embedded store, a tokens file with only the fixture's own identity.</summary>
public sealed class FuzzTokensCluster : ClusterFixture
{
    public FuzzTokensCluster()
        : base(processes: 1, redis: false) => Grants = "# the fixture's own identity only";
}
