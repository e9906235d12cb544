using System.Diagnostics;
using System.Text.Json;
using Cluster.Bench;
using Cluster.Bench.Infrastructure;
using Cluster.Bench.Scenarios;

// The cold scenario's client program, run by the benchmark in a process of its own (not a scenario).
if (args is [ColdClient.Command, .. var clientArgs])
{
    return await ColdClient.MainAsync(clientArgs);
}

BenchOptions options;
Dictionary<string, string> clusterEnvironment;
try
{
    if (BenchOptions.Parse(args) is not { } parsed)
    {
        Console.WriteLine(BenchOptions.Usage);
        return 0;
    }
    options = parsed;
    clusterEnvironment = Deployment.ClusterEnvironment();
}
catch (UsageException e)
{
    Console.Error.WriteLine($"bench: {e.Message}{Environment.NewLine}{Environment.NewLine}{BenchOptions.Usage}");
    return 2;
}

// Whatever happens, no cluster or redis-server process outlives the benchmark (they are killed by PID).
AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcess.KillAll();
Console.CancelKeyPress += (_, _) => ChildProcess.KillAll();

var machine = Machine.Describe(options.Stores.Contains(StoreKind.Redis));
Console.WriteLine("## Cluster end-to-end benchmark");
Console.WriteLine();
Console.WriteLine(machine.ToMarkdown());
Console.WriteLine();
if (clusterEnvironment.Count > 0)
{
    Console.WriteLine($"The cluster processes ran with {string.Join(", ", clusterEnvironment.Select(e => $"`{e.Key}={e.Value}`"))} (`CLUSTER_BENCH_CLUSTER_ENV`); the client did not.");
    Console.WriteLine();
}

var results = new List<ScenarioResult>();
for (var pass = 1; pass <= options.Passes; pass++)
{
    if (options.Passes > 1)
    {
        Console.WriteLine($"## Pass {pass} of {options.Passes}");
        Console.WriteLine();
        Common.Log($"pass {pass} of {options.Passes}");
    }
    foreach (var scenario in options.Scenarios)
    {
        foreach (var store in options.Stores)
        {
            var result = await RunScenarioAsync(scenario, store, pass);
            results.Add(result);
            Console.WriteLine(result.ToMarkdown());
        }
    }
}
if (options.Passes > 1)
{
    Console.WriteLine($"## Over {options.Passes} passes");
    Console.WriteLine();
    foreach (var passes in results.GroupBy(r => (r.Scenario, r.Store)))
    {
        Console.WriteLine(PassSummary.ToMarkdown([.. passes]));
    }
}

if (options.Json || options.JsonFile is not null)
{
    var document = JsonSerializer.Serialize(new
    {
        machine,
        results = results.Select(r => new
        {
            scenario = r.Scenario,
            store = r.Store,
            pass = r.Pass,
            parameters = r.Parameters,
            metrics = r.Metrics.Select(m => new { name = m.Name, value = m.Value, unit = m.Unit, target = m.Target, met = m.Met }),
            notes = r.Notes,
            error = r.Error,
            seconds = r.Seconds,
        }),
    }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    if (options.JsonFile is not null)
    {
        await File.WriteAllTextAsync(options.JsonFile, document);
        Common.Log($"JSON written to {Path.GetFullPath(options.JsonFile)}");
    }
    if (options.Json)
    {
        Console.WriteLine("```json");
        Console.WriteLine(document);
        Console.WriteLine("```");
    }
}
return results.Any(r => r.Error is not null) ? 1 : 0;

async Task<ScenarioResult> RunScenarioAsync(string scenario, StoreKind store, int pass)
{
    var storeName = Common.Name(store);
    var (title, run) = scenario switch
    {
        "throughput" => (Throughput.Title, (Func<BenchOptions, StoreKind, ScenarioResult, Task>)Throughput.RunAsync),
        "latency" => (Latency.Title, Latency.RunAsync),
        "coroutines" => (Coroutines.Title, Coroutines.RunAsync),
        "threads" => (Threads.Title, Threads.RunAsync),
        "backlog" => (Backlog.Title, Backlog.RunAsync),
        "clients" => (Clients.Title, Clients.RunAsync),
        "fairness" => (Fairness.Title, Fairness.RunAsync),
        "hops" => (Hops.Title, Hops.RunAsync),
        "delayed" => (Delayed.Title, Delayed.RunAsync),
        "scaling" => (Scaling.Title, Scaling.RunAsync),
        "dashboard" => (DashboardLoad.Title, DashboardLoad.RunAsync),
        "queue" => (QueueThroughput.Title, QueueThroughput.RunAsync),
        "cold" => (Cold.Title, Cold.RunAsync),
        "scripts" => (StoreScripts.Title, StoreScripts.RunAsync),
        "screenshot" => (DashboardShot.Title, DashboardShot.RunAsync),
        _ => throw new UnreachableException(scenario),
    };
    var result = new ScenarioResult(scenario, storeName, title) { Pass = pass };
    result.Parameters["load average at start"] = Machine.ReadLoadAverage();
    var watch = Stopwatch.StartNew();
    Deployment.ClearLastOutput();
    try
    {
        await run(options, store, result);
    }
    catch (Exception e) when (e is BenchException or TimeoutException)
    {
        result.Error = e.Message;
    }
    catch (Exception e)
    {
        result.Error = e.ToString();
    }
    if (result.Error is not null && Deployment.LastOutput is { } output)
    {
        result.Error += Environment.NewLine + "Output of the cluster processes:" + Environment.NewLine + output;
    }
    result.Seconds = watch.Elapsed.TotalSeconds;
    Common.Log($"{scenario}/{storeName}: {(result.Error is null ? "done" : "FAILED")} in {result.Seconds:0.0} s");
    return result;
}

