using Cluster.Contracts;

namespace Cluster.SampleTasks.Contracts;

/// <summary>Typed handles on the sample tasks: one definition for client and worker.</summary>
public static class MathTasks
{
    /// <summary>fib(n), recursive, on the thread pool.</summary>
    public static readonly TaskDef<int, long> Fib = new("fib");

    /// <summary>sleep(seconds) on the coroutine loop; returns the seconds.</summary>
    public static readonly TaskDef<double, double> Sleep = new("sleep");

    /// <summary>Where the task ran, from the thread pool.</summary>
    public static readonly TaskDef<WhoAmI> WhoAmI = new("whoami");

    /// <summary>progress(steps): reports progress after each of <c>steps</c> short waits; returns steps.</summary>
    public static readonly TaskDef<int, int> Progress = new("progress");
}
