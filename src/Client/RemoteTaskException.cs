namespace Cluster.Client;

/// <summary>A task's handler threw: the remote exception's type, message and stack trace.</summary>
public sealed class RemoteTaskException : Exception
{
    public RemoteTaskException(string taskId, string remoteType, string message, string remoteStackTrace, int attempt)
        : this(taskId, remoteType, message, remoteStackTrace, attempt, deadLettered: false, [])
    {
    }

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

    public string TaskId { get; }

    /// <summary>Full name of the exception type thrown on the worker, e.g. System.InvalidOperationException.</summary>
    public string RemoteType { get; }

    public string RemoteMessage { get; }

    public string RemoteStackTrace { get; }

    public int Attempt { get; }

    public override string? StackTrace => RemoteStackTrace;
}
