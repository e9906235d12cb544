namespace Cluster.Client;

/// <summary>A task's handler threw: the remote exception's type, message and stack trace.</summary>
public class RemoteTaskException : Exception
{
    /// <summary>The error of one attempt of a task that was not dead-lettered.</summary>
    /// <param name="taskId">The task's id.</param>
    /// <param name="remoteType">Full name of the exception type thrown on the worker.</param>
    /// <param name="message">The remote exception's message.</param>
    /// <param name="remoteStackTrace">The remote exception's stack trace, as the worker printed it.</param>
    /// <param name="attempt">The attempt that threw, from 1.</param>
    public RemoteTaskException(string taskId, string remoteType, string message, string remoteStackTrace, int attempt)
        : this(taskId, remoteType, message, remoteStackTrace, attempt, deadLettered: false, [])
    {
    }

    /// <summary>The final error of a task, with whether it was dead-lettered and every attempt's error.</summary>
    /// <param name="taskId">The task's id.</param>
    /// <param name="remoteType">Full name of the exception type thrown on the worker.</param>
    /// <param name="message">The remote exception's message.</param>
    /// <param name="remoteStackTrace">The remote exception's stack trace, as the worker printed it.</param>
    /// <param name="attempt">The attempt that threw, from 1.</param>
    /// <param name="deadLettered">The task ran past its bounds and is in the dead letters.</param>
    /// <param name="attempts">Every attempt's error, oldest first; empty when it ran once.</param>
    public RemoteTaskException(string taskId, string remoteType, string message, string remoteStackTrace, int attempt, bool deadLettered, IReadOnlyList<RemoteTaskException> attempts)
        : base($"Task {taskId} failed on attempt {attempt}: {remoteType}: {message}")
    {
        TaskId = taskId;
        RemoteType = remoteType;
        RemoteMessage = message;
        RemoteStackTrace = remoteStackTrace;
        Attempt = attempt;
        DeadLettered = deadLettered;
        Attempts = attempts;
    }

    /// <summary>The task ran past its bounds (attempts, or runs lost with its worker) and is in the dead letters.</summary>
    public bool DeadLettered { get; }

    /// <summary>Every attempt's error, oldest first, when the task failed more than once; else empty.</summary>
    public IReadOnlyList<RemoteTaskException> Attempts { get; }

    /// <summary>The id of the task that failed.</summary>
    public string TaskId { get; }

    /// <summary>Full name of the exception type thrown on the worker, e.g. System.InvalidOperationException.</summary>
    public string RemoteType { get; }

    /// <summary>The message of the exception thrown on the worker (<see cref="Exception.Message"/> adds the task id, attempt and type).</summary>
    public string RemoteMessage { get; }

    /// <summary>The stack trace on the worker where the handler threw.</summary>
    public string RemoteStackTrace { get; }

    /// <summary>The attempt that threw this error, from 1; the last one when the task failed for good.</summary>
    public int Attempt { get; }

    /// <summary>The remote stack trace (<see cref="RemoteStackTrace"/>): where the handler threw, not where this exception was rethrown.</summary>
    public override string? StackTrace => RemoteStackTrace;
}
