namespace Cluster.Cli;

/// <summary>A bad command line or option value: the message names the option and what it takes.</summary>
internal sealed class UsageException(string message) : Exception(message);
