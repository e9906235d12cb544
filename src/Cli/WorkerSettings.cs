using Cluster.Cli.Settings;
using Cluster.Contracts;

namespace Cluster.Cli;

/// <summary>What the worker daemon passes to each worker process.</summary>
internal sealed record WorkerSettings(int Processes, int Threads, int Coroutines, IReadOnlyList<string> Tasks, bool Verbose)
{
    /// <summary>Most tasks each thread leases ahead (--prefetch).</summary>
    public int Prefetch { get; init; } = new Cluster.Worker.WorkerOptions().PrefetchPerThread;

    /// <summary>The queues the workers listen to (--queues); none: the default queue.</summary>
    public IReadOnlyList<string> Queues { get; init; } = [];

    /// <summary>The queues of --queues, checked; none when it is not given.</summary>
    public static IReadOnlyList<string> QueuesOf(SettingValues values)
    {
        var queues = (values.Get(ClusterOptions.Queues) ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (QueueNames.Problem(queues) is { } problem)
        {
            throw new UsageException($"--queues: {problem}");
        }
        return queues;
    }

    /// <summary>The CA to trust and the client certificate to present (--tls-*); none by default.</summary>
    public ChannelSecurity Security { get; init; } = ChannelSecurity.None;

    /// <summary>The sample task assembly that ships beside this command.</summary>
    public static string SampleTasks => Path.Combine(AppContext.BaseDirectory, "Cluster.SampleTasks.dll");

    /// <summary>The worker options of a command (the demo's --tasks is a count: it runs the samples).</summary>
    public static WorkerSettings From(SettingValues values)
    {
        var tasks = values.All(ClusterOptions.TaskAssemblies).Select(p => p!).ToList();
        if (tasks.Count == 0)
        {
            tasks.Add(SampleTasks);
        }
        foreach (var path in tasks.Where(p => !File.Exists(p)))
        {
            throw new UsageException($"Task assembly '{path}' does not exist (--tasks).");
        }
        var threads = values.Get(ClusterOptions.Threads);
        var prefetch = values.Get(ClusterOptions.Prefetch);
        if ((long)threads * (1 + prefetch) is var slots and > WireLimits.MaxWorkerSlots)
        {
            throw new UsageException($"--threads × (1 + --prefetch) is {slots:D}; a worker process holds at most {WireLimits.MaxWorkerSlots:D} tasks: lower --threads or --prefetch.");
        }
        return new WorkerSettings(
            values.Get(ClusterOptions.Processes),
            threads,
            values.Get(ClusterOptions.Coroutines),
            tasks,
            values.Get(ClusterOptions.Verbose))
        {
            Queues = QueuesOf(values),
            Prefetch = prefetch,
        };
    }
}
