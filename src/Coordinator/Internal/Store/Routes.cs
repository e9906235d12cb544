using System.Globalization;
using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>
/// Where a ready task waits: its route is its task name for the default queue, else "name|queue"
/// (no name or queue holds '|'); each route's ready tasks are one queue key, ordered by priority
/// and fair share between sessions (the <c>enqueue</c> function in <see cref="Scripts"/>).
/// </summary>
internal static class Routes
{
    /// <summary>The queue a task or worker names when it names none.</summary>
    public const string DefaultQueue = "default";

    /// <summary>The priority of a task that sets none.</summary>
    public const int DefaultPriority = 5;

    /// <summary>The route of a task name in a queue ("" or "default": the default queue).</summary>
    public static string Of(string name, string queue) =>
        queue.Length == 0 || queue == DefaultQueue ? name : name + "|" + queue;

    /// <summary>The route of a task as submitted.</summary>
    public static string Of(TaskSpec task) => Of(task.Name, task.Queue);

    /// <summary>The task's priority, 5 when unset.</summary>
    public static int Priority(TaskSpec task) => task.HasPriority ? task.Priority : DefaultPriority;

    /// <summary>
    /// How the submit script is told a task's route and priority: the name alone for the default
    /// queue and priority, else "name|queue|priority" (queue "" for the default).
    /// </summary>
    public static string Entry(TaskSpec task)
    {
        var order = Order(task);
        return order.Length == 0 ? task.Name : task.Name + "|" + order;
    }

    /// <summary>The task name and queue ("default" for the default one) of a route.</summary>
    public static (string Name, string Queue) Split(string route)
    {
        var bar = route.IndexOf('|', StringComparison.Ordinal);
        return bar < 0 ? (route, DefaultQueue) : (route[..bar], route[(bar + 1)..]);
    }

    /// <summary>The route of a task whose stored order ("queue|priority", or none) is <paramref name="order"/>.</summary>
    public static string OfStored(string name, string? order)
    {
        if (string.IsNullOrEmpty(order))
        {
            return name;
        }
        var bar = order.LastIndexOf('|');
        return Of(name, bar < 0 ? order : order[..bar]);
    }

    /// <summary>The routes a worker serves: each of its names in each of the queues it listens to.</summary>
    public static string[] Served(IEnumerable<string> names, IReadOnlyCollection<string> queues)
    {
        IEnumerable<string> listened = queues.Count == 0 ? [DefaultQueue] : queues;
        return names.SelectMany(n => listened.Select(q => Of(n, q))).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>What a task of another queue or priority keeps under "&lt;id&gt; o" in the policies hash, "queue|priority" (queue "" for the default); "" for the default queue and priority 5.</summary>
    public static string Order(TaskSpec task)
    {
        var priority = Priority(task);
        var queue = task.Queue == DefaultQueue ? string.Empty : task.Queue;
        return queue.Length == 0 && priority == DefaultPriority
            ? string.Empty
            : string.Create(CultureInfo.InvariantCulture, $"{queue}|{priority}");
    }
}
