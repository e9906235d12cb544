namespace Cluster.Coordinator;

/// <summary>
/// The coordinator could not reach its task store when it started (down, wrong address, refused
/// credentials). The message names the store by host:port only, never its password or user.
/// </summary>
public sealed class StoreUnreachableException : Exception
{
    /// <summary>An error with the default message.</summary>
    public StoreUnreachableException()
    {
    }

    /// <summary>An error whose message says which store and why.</summary>
    public StoreUnreachableException(string message)
        : base(message)
    {
    }

    /// <summary>An error whose message says which store and why, caused by <paramref name="innerException"/>.</summary>
    public StoreUnreachableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
