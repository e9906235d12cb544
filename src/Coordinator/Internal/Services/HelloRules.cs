using Cluster.Contracts;
using Cluster.Coordinator.Internal.Store;
using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal.Services;

/// <summary>What a worker may declare and send: each check returns null when valid, else what is wrong.</summary>
internal static class HelloRules
{
    /// <summary>The most threads, thread slots or coroutines one connection may declare (a worker process's own bound for coroutines).</summary>
    public const int MaxSlots = WireLimits.MaxWorkerSlots;

    public static string? Problem(Hello hello)
    {
        var problem = Validation.Identifier("worker id", hello.WorkerId)
            ?? Count("threads", hello.Threads)
            ?? Count("thread_slots", hello.ThreadSlots)
            ?? Count("coroutines", hello.Coroutines);
        problem ??= Contracts.QueueNames.Problem(hello.Queues) is { } queues ? "hello's queues: " + queues : null;
        if (problem is null && hello.Handlers.Count == 0)
        {
            problem = "hello names no task handlers.";
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var handler in hello.Handlers)
        {
            problem ??= Validation.Identifier("task name", handler.Name) ?? Policies.Problem(handler.Policy);
            if (problem is null && handler.Kind is not (ExecutionKind.ThreadPool or ExecutionKind.Coroutine))
            {
                problem = handler.Kind == ExecutionKind.Unspecified
                    ? $"task '{handler.Name}' has no execution kind."
                    : $"task '{handler.Name}' has execution kind {(int)handler.Kind}, which is not one of THREAD_POOL (1) or COROUTINE (2).";
            }
            if (problem is null && !names.Add(handler.Name))
            {
                problem = $"hello names task '{handler.Name}' twice.";
            }
        }
        return problem;
    }

    /// <summary>Credits are slots that came free: never negative.</summary>
    public static string? CreditsProblem(WorkerMessage message) =>
        message.ThreadCredits < 0 ? $"thread_credits is {message.ThreadCredits}; credits must not be negative."
        : message.CoroutineCredits < 0 ? $"coroutine_credits is {message.CoroutineCredits}; credits must not be negative."
        : null;

    private static string? Count(string field, int value) =>
        value is < 0 or > MaxSlots ? $"hello's {field} is {value}; it must be from 0 to {MaxSlots}." : null;
}
