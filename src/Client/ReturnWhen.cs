namespace Cluster.Client;

/// <summary>When <see cref="ClusterFutures.Wait{TFuture}"/> returns, as concurrent.futures.wait's return_when.</summary>
public enum ReturnWhen
{
    /// <summary>When any future finishes or is cancelled.</summary>
    FirstCompleted,

    /// <summary>When any future finishes by raising an exception (a cancelled one does not count); else as AllCompleted.</summary>
    FirstException,

    /// <summary>When all futures finish or are cancelled.</summary>
    AllCompleted,
}
