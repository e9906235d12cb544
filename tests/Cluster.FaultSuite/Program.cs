using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Cluster.FaultSuite;
using Cluster.Testing;

// The fault suite: each scenario runs real coordinator, worker daemon and redis-server processes,
// injects one fault mid-run and checks that every accepted task resolves exactly once, right.
//   dotnet run -c Release --project tests/Cluster.FaultSuite -- [--tasks N] [--out docs/reliability.md] [--keep-trace] [scenario ...]
// --keep-trace keeps each scenario's hop trace (hops.PID.txt of the client and every worker process) for a closer look.
var tasks = 2000;
string? output = null;
var only = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--tasks":
            tasks = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--out":
            output = args[++i];
            break;
        case "--keep-trace":
            RunTrace.Keep = true;
            break;
        default:
            only.Add(args[i]);
            break;
    }
}

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
