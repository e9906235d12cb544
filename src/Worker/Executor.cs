namespace Cluster.Worker;

/// <summary>Where a handler runs inside a worker process.</summary>
public enum Executor
{
    /// <summary>Not on a worker's executor (e.g. the .NET shared pool).</summary>
    None,

    /// <summary>The process's own bounded thread pool: synchronous, blocking or CPU-bound handlers.</summary>
    ThreadPool,

    /// <summary>The process's coroutine loop: one thread running every async handler cooperatively.</summary>
    CoroutineLoop,
}
