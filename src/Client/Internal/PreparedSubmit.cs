namespace Cluster.Client.Internal;

/// <summary>A submit's arguments as JSON, and the bytes it holds of the bound on unaccepted submits.</summary>
internal readonly record struct PreparedSubmit(byte[] Json, int Cost);
