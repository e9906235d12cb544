namespace Cluster.Contracts;

/// <summary>A put that may not wait (or waited out its timeout) found the queue full, as Python's <c>queue.Full</c>. Retrying later may help.</summary>
public sealed class QueueFullException : Exception
{
    /// <summary>A full-queue error with a default message.</summary>
    public QueueFullException()
        : base("The queue is full.")
    {
    }

    /// <summary>A full-queue error with <paramref name="message"/>.</summary>
    /// <param name="message">What was full.</param>
    public QueueFullException(string message)
        : base(message)
    {
    }

    /// <summary>A full-queue error with <paramref name="message"/> and its cause.</summary>
    /// <param name="message">What was full.</param>
    /// <param name="innerException">The cause.</param>
    public QueueFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
