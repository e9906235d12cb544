namespace Cluster.Bench.Infrastructure;

/// <summary>A scenario could not run or did not finish; the message says why (and holds the output that shows it).</summary>
internal sealed class BenchException(string message) : Exception(message);
