namespace Cluster.Coordinator;

/// <summary>
/// The coordinator could not reach its task store when it started (down, wrong address, refused
/// credentials). The message names the store by host:port only, never its password or user.
/// </summary>
public sealed class StoreUnreachableException : Exception
{
    public StoreUnreachableException()
    {
    }

    public StoreUnreachableException(string message)
        : base(message)
    {
    }

    public StoreUnreachableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
