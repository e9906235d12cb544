namespace Cluster.SampleTasks.Contracts;

/// <summary>When a task started, by its worker's clock.</summary>
/// <param name="TaskId">The task's id.</param>
/// <param name="StartedUnixMs">The worker's clock when the handler started, Unix ms.</param>
public sealed record ClockReading(string TaskId, long StartedUnixMs);
