using Cluster.Contracts;

namespace Cluster.Client;

public sealed partial class ClusterExecutor
{
    /// <summary>
    /// The cluster's queue named <paramref name="name"/>, shared with every process of this identity
    /// that opens it (other clients, task handlers through <c>TaskContext.GetQueue</c>), as Python's
    /// <c>queue.Queue(maxsize)</c> across hosts. Opening makes no call: the queue exists in the store
    /// once an item is put, and holds its items until they are taken.
    /// </summary>
    /// <typeparam name="T">The type of the items (as JSON).</typeparam>
    /// <param name="name">The queue's name: 1 to 200 characters of A-Z a-z 0-9 _ . : / @ -.</param>
    /// <param name="maxSize">The most items it holds (puts wait for room); 0 for no bound. Default: 0.</param>
    /// <returns>The queue, on the coordinator this executor uses.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or <paramref name="maxSize"/> negative.</exception>
    public ClusterQueue<T> GetQueue<T>(string name, int maxSize = 0) =>
        GetQueue<T>(name, new ClusterQueueOptions { MaxSize = maxSize });

    /// <summary>
    /// The cluster's queue named <paramref name="name"/>, opened with <paramref name="options"/>
    /// (its bound, and whether taken items are held under a lease until marked done: <see cref="ClusterQueueOptions.AtLeastOnce"/>).
    /// </summary>
    /// <typeparam name="T">The type of the items (as JSON).</typeparam>
    /// <param name="name">The queue's name: 1 to 200 characters of A-Z a-z 0-9 _ . : / @ -.</param>
    /// <param name="options">How it is opened.</param>
    /// <returns>The queue, on the coordinator this executor uses.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or an option is out of range.</exception>
    public ClusterQueue<T> GetQueue<T>(string name, ClusterQueueOptions options) =>
        new(() => _channels[CurrentIndex].CreateCallInvoker(), name, options);
}
