namespace Cluster.Contracts;

/// <summary>A get that may not wait (or waited out its timeout) found the queue empty, as Python's <c>queue.Empty</c>. Retrying later may help.</summary>
public sealed class QueueEmptyException : Exception
{
    /// <summary>A empty-queue error with a default message.</summary>
    public QueueEmptyException()
        : base("The queue is empty.")
    {
    }

    /// <summary>A empty-queue error with <paramref name="message"/>.</summary>
    /// <param name="message">What was empty.</param>
    public QueueEmptyException(string message)
        : base(message)
    {
    }

    /// <summary>A empty-queue error with <paramref name="message"/> and its cause.</summary>
    /// <param name="message">What was empty.</param>
    /// <param name="innerException">The cause.</param>
    public QueueEmptyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
