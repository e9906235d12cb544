using System.Buffers;

namespace Cluster.Contracts;

/// <summary>What a queue name may be: 1 to 64 letters, digits or <c>_ . -</c>; "default" is the queue of a task that names none.</summary>
public static class QueueNames
{
    /// <summary>The queue of a task that names none, and the one a worker listens to when it names none.</summary>
    public const string Default = "default";

    /// <summary>The longest queue name, in characters: 64.</summary>
    public const int MaxLength = 64;

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");

    /// <summary>The most queues one worker listens to: 64.</summary>
    public const int MaxPerWorker = 64;

    /// <summary>True when <paramref name="queue"/> may name a queue.</summary>
    public static bool IsValid(string? queue) =>
        !string.IsNullOrEmpty(queue) && queue.Length <= MaxLength && !queue.AsSpan().ContainsAnyExcept(Allowed);

    /// <summary>Null when <paramref name="queue"/> may name a queue; else what is wrong with it, naming <paramref name="what"/>.</summary>
    public static string? Problem(string what, string? queue) =>
        IsValid(queue) ? null : $"{what} '{queue}' must be 1 to {MaxLength} letters, digits or _ . -.";

    /// <summary>Null when a worker may listen to <paramref name="queues"/>; else what is wrong with them.</summary>
    public static string? Problem(IReadOnlyCollection<string> queues)
    {
        if (queues.Count > MaxPerWorker)
        {
            return $"a worker listens to at most {MaxPerWorker} queues, not {queues.Count}.";
        }
        foreach (var queue in queues)
        {
            if (Problem("queue", queue) is { } problem)
            {
                return problem;
            }
        }
        var twice = queues.GroupBy(q => q, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return twice is null ? null : $"queue '{twice.Key}' is listed twice.";
    }
}
