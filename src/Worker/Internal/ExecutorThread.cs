namespace Cluster.Worker.Internal;

/// <summary>Marks the threads of a worker's executors, so a handler can tell where it runs.</summary>
internal static class ExecutorThread
{
    [ThreadStatic]
    private static Executor t_current;

    public static Executor Current => t_current;

    public static void Mark(Executor executor) => t_current = executor;
}
