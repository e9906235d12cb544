namespace Cluster.Worker.Internal;

/// <summary>A handler returned more bytes of JSON than the coordinator accepts as one result.</summary>
internal sealed class ResultTooLargeException(string taskId, int bytes, int limit)
    : InvalidOperationException($"the result of task {taskId} is {bytes} bytes; the limit is {limit}")
{
    /// <summary>The error type clients see.</summary>
    public const string RemoteType = "Cluster.ResultTooLarge";
}
