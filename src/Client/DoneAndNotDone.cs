namespace Cluster.Client;

/// <summary>What <see cref="ClusterFutures.Wait{TFuture}"/> returns: the futures done, and the rest.</summary>
public sealed record DoneAndNotDone<TFuture>(IReadOnlySet<TFuture> Done, IReadOnlySet<TFuture> NotDone) where TFuture : ClusterFuture;
