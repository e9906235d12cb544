namespace Cluster.Client;

/// <summary>How far a running task has come, as its handler last reported it.</summary>
/// <param name="Fraction">Between 0 and 1.</param>
/// <param name="Message">The handler's note, or empty.</param>
public sealed record TaskProgress(double Fraction, string Message);
