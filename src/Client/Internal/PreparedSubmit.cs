namespace Cluster.Client.Internal;

/// <summary>A submit's arguments as JSON, the bytes it holds of the bound on unaccepted submits, and the futures among its arguments.</summary>
internal readonly record struct PreparedSubmit(byte[] Json, int Cost, IReadOnlyList<ClusterFuture> Inputs);
