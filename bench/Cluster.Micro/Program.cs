using BenchmarkDotNet.Running;

// No arguments: every benchmark. Otherwise BenchmarkDotNet's own switches, e.g. --filter '*Json*' --job short.
BenchmarkSwitcher.FromAssembly(typeof(Cluster.Micro.SubmitRequestBenchmarks).Assembly)
    .Run(args.Length == 0 ? ["--filter", "*"] : args);
