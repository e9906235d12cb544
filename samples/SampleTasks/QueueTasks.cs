using Cluster.Contracts;
using Cluster.Worker;

namespace Cluster.SampleTasks;

/// <summary>Handlers that produce into and consume from the cluster's queues: a queue shared by processes on any host.</summary>
public static class QueueTasks
{
    /// <summary>Registers <c>queue.produce</c>, <c>queue.consume</c> and <c>queue.hold</c>.</summary>
    /// <param name="tasks">The registry of the worker.</param>
    public static void Register(TaskRegistry tasks)
    {
        tasks.Register("queue.produce", ProduceAsync);
        tasks.Register("queue.consume", ConsumeAsync);
        tasks.Register("queue.hold", HoldAsync);
    }

    /// <summary>Puts the numbers <paramref name="from"/> .. <paramref name="from"/> + <paramref name="count"/> - 1 into a queue of at most <paramref name="maxSize"/> items, waiting for room as it fills.</summary>
    public static async Task<int> ProduceAsync(string queue, long from, int count, int maxSize, TaskContext context)
    {
        using var items = context.GetQueue<long>(queue, maxSize);
        for (var i = 0; i < count; i++)
        {
            await items.PutAsync(from + i, cancellationToken: context.CancellationToken);
        }
        return count;
    }

    /// <summary>Takes <paramref name="count"/> items from a queue, marking each done; answers their sum.</summary>
    public static async Task<long> ConsumeAsync(string queue, int count, TaskContext context)
    {
        using var items = context.GetQueue<long>(queue);
        long sum = 0;
        for (var i = 0; i < count; i++)
        {
            sum += await items.GetAsync(cancellationToken: context.CancellationToken);
            await items.TaskDoneAsync(context.CancellationToken);
        }
        return sum;
    }

    /// <summary>
    /// Takes one item from an at-least-once queue (lease <paramref name="leaseMs"/>) and holds it
    /// without marking it done until cancelled, reporting "PID ITEM" as progress: a consumer to kill.
    /// Its later attempts (after its worker process died) take nothing.
    /// </summary>
    public static async Task<string> HoldAsync(string queue, int leaseMs, TaskContext context)
    {
        if (context.Attempt > 1)
        {
            return "not again";
        }
        using var items = context.GetQueue<string>(queue, new ClusterQueueOptions { AtLeastOnce = true, LeaseDuration = TimeSpan.FromMilliseconds(leaseMs) });
        var item = await items.GetAsync(cancellationToken: context.CancellationToken);
        context.ReportProgress(0.5, $"{Environment.ProcessId} {item}");
        await Task.Delay(Timeout.Infinite, context.CancellationToken);
        return item;
    }
}
