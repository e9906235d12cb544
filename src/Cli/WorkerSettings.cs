using Cluster.Contracts;

namespace Cluster.Cli;

/// <summary>What the worker daemon passes to each worker process.</summary>
internal sealed record WorkerSettings(int Processes, int Threads, int Coroutines, IReadOnlyList<string> Tasks, bool Verbose)
{
    /// <summary>The CA to trust and the client certificate to present (--tls-*); none by default.</summary>
    public ChannelSecurity Security { get; init; } = ChannelSecurity.None;

    /// <summary>The sample task assembly that ships beside this command.</summary>
    public static string SampleTasks => Path.Combine(AppContext.BaseDirectory, "Cluster.SampleTasks.dll");

    /// <param name="taskAssemblies">False where --tasks means something else (the demo's task count): the samples are used.</param>
    public static WorkerSettings From(Arguments args, bool taskAssemblies = true)
    {
        var tasks = taskAssemblies ? args.All("tasks").Select(Path.GetFullPath).ToList() : [];
        if (tasks.Count == 0)
        {
            tasks.Add(SampleTasks);
        }
        foreach (var path in tasks.Where(p => !File.Exists(p)))
        {
            throw new UsageException($"Task assembly '{path}' does not exist.");
        }
        return new WorkerSettings(
            args.Int("processes", Environment.ProcessorCount, 1, 1024),
            args.Int("threads", Environment.ProcessorCount * 5, 1, 4096),
            args.Int("coroutines", 1000, 1, 1_000_000),
            tasks,
            args.Flag("verbose"));
    }
}
