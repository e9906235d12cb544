using System.Collections.Concurrent;
using Cluster.Client;
using Cluster.WebApi.Contracts;

namespace Cluster.WebApi;

/// <summary>The futures of quotes submitted and not read yet, by task id (one API process; a real one would keep ids in its database).</summary>
public sealed class QuoteBook
{
    private readonly ConcurrentDictionary<string, ClusterFuture<Quote>> _futures = new(StringComparer.Ordinal);

    /// <summary>Keeps <paramref name="future"/> until its quote is read.</summary>
    public void Add(ClusterFuture<Quote> future) => _futures[future.Id] = future;

    /// <summary>The future of task <paramref name="id"/>; null when unknown.</summary>
    public ClusterFuture<Quote>? Find(string id) => _futures.GetValueOrDefault(id);

    /// <summary>Forgets task <paramref name="id"/> once its quote was read.</summary>
    public void Remove(string id) => _futures.TryRemove(id, out _);
}
