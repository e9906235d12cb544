namespace Cluster.Client;

/// <summary>A task's handler threw: the remote exception's type, message and stack trace.</summary>
public sealed class RemoteTaskException : Exception
{
    public RemoteTaskException(string taskId, string remoteType, string message, string remoteStackTrace, int attempt)
        : base($"Task {taskId} failed on attempt {attempt}: {remoteType}: {message}")
    {
        TaskId = taskId;
        RemoteType = remoteType;
        RemoteMessage = message;
        RemoteStackTrace = remoteStackTrace;
        Attempt = attempt;
    }

    public string TaskId { get; }

    /// <summary>Full name of the exception type thrown on the worker, e.g. System.InvalidOperationException.</summary>
    public string RemoteType { get; }

    public string RemoteMessage { get; }

    public string RemoteStackTrace { get; }

    public int Attempt { get; }

    public override string? StackTrace => RemoteStackTrace;
}
