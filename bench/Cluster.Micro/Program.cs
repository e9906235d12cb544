using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// Reports go to bench/Cluster.Micro/BenchmarkDotNet.Artifacts (ignored by git), wherever this is run from.
var projectDirectory = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", ".."));
// BenchmarkDotNet looks for this project's .csproj from the current directory: start from the project's own.
Environment.CurrentDirectory = projectDirectory;
var config = DefaultConfig.Instance.WithArtifactsPath(Path.Combine(projectDirectory, "BenchmarkDotNet.Artifacts"));

// No arguments: every benchmark. Otherwise BenchmarkDotNet's own switches, e.g. --filter '*Json*' --job short.
BenchmarkSwitcher.FromAssembly(typeof(Cluster.Micro.SubmitRequestBenchmarks).Assembly)
    .Run(args.Length == 0 ? ["--filter", "*"] : args, config);
