using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text;
using Cluster.FaultSuite;
using Cluster.Testing;

// The fault suite: each scenario runs real coordinator, worker daemon and redis-server processes,
// injects one fault mid-run and checks that every accepted task resolves exactly once, right.
//   dotnet run -c Release --project tests/Cluster.FaultSuite -- [--tasks N] [--out docs/reliability.md] [--keep-trace] [scenario ...]
// --keep-trace keeps each scenario's hop trace (hops.PID.txt of the client and every worker process) for a closer look.
var tasksOption = new Option<int>("--tasks") { Description = "tasks submitted per scenario", DefaultValueFactory = _ => 2000 };
var outOption = new Option<string>("--out") { Description = "writes the table of figures to this file (e.g. docs/reliability.md)" };
var keepTraceOption = new Option<bool>("--keep-trace") { Description = "keeps each scenario's hop trace (hops.PID.txt of the client and every worker process)" };
var scenariosArgument = new Argument<string[]>("scenario") { Description = "the scenarios to run (default: all)", Arity = ArgumentArity.ZeroOrMore };
var command = new RootCommand("The fault suite") { tasksOption, outOption, keepTraceOption, scenariosArgument };
var parse = command.Parse(args);
if (parse.Action is not null)
{
    // --help, or a parse error: System.CommandLine prints it.
    return await parse.InvokeAsync() == 0 ? 0 : 2;
}
var tasks = parse.GetValue(tasksOption);
var output = parse.GetValue(outOption);
RunTrace.Keep = parse.GetValue(keepTraceOption);
var only = (parse.GetValue(scenariosArgument) ?? []).ToList();

if (ProgramPath.Find("redis-server") is null)
{
    Console.Error.WriteLine("The fault suite needs redis-server on PATH (apt-get install redis-server).");
    return 2;
}

var scenarios = Scenarios.All.Where(s => only.Count == 0 || only.Contains(s.Name)).ToList();
var figures = new List<Figures>();
foreach (var scenario in scenarios)
{
    Console.WriteLine($"== {scenario.Name}: {scenario.Fault}");
    var result = await scenario.RunAsync(tasks);
    figures.Add(result);
    Console.WriteLine($"   {result}");
}

var table = Report.Markdown(figures, tasks, args);
Console.WriteLine();
Console.WriteLine(table);
if (output is not null)
{
    await File.WriteAllTextAsync(output, table, Encoding.UTF8);
    Console.WriteLine($"Wrote {output}.");
}
var failed = figures.Count(f => !f.Passed);
Console.WriteLine($"{figures.Count - failed} scenarios passed, {failed} failed ({RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores).");
return failed == 0 ? 0 : 1;
