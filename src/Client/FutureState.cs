namespace Cluster.Client;

/// <summary>The states of a future, as in concurrent.futures.</summary>
public enum FutureState
{
    Pending,
    Running,
    Cancelled,
    Finished,
}
