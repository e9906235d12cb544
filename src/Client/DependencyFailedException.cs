namespace Cluster.Client;

/// <summary>
/// A task never ran because one of its inputs (a future passed among its arguments) failed, was
/// dead-lettered, or failed this way itself: the remote error type is <c>Cluster.DependencyFailed</c>.
/// </summary>
public sealed class DependencyFailedException : RemoteTaskException
{
    /// <summary>The remote error type of a task whose input failed, as every client sees it on the wire.</summary>
    public const string RemoteTypeName = "Cluster.DependencyFailed";

    /// <summary>A task whose input failed.</summary>
    /// <param name="taskId">The task that did not run.</param>
    /// <param name="message">The remote message: "input task ID failed: TYPE: MESSAGE".</param>
    public DependencyFailedException(string taskId, string message)
        : base(taskId, RemoteTypeName, message, string.Empty, 0)
    {
        const string Lead = "input task ";
        var end = message.IndexOf(" failed: ", StringComparison.Ordinal);
        if (message.StartsWith(Lead, StringComparison.Ordinal) && end > Lead.Length)
        {
            InputTaskId = message[Lead.Length..end];
            InputError = message[(end + " failed: ".Length)..];
        }
        else
        {
            InputTaskId = string.Empty;
            InputError = message;
        }
    }

    /// <summary>The input whose failure ended this task (itself perhaps a task whose input failed).</summary>
    public string InputTaskId { get; }

    /// <summary>The input's error, "TYPE: MESSAGE" (for a dead letter, the reason and its last error).</summary>
    public string InputError { get; }
}
