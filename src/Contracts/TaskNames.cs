using System.Buffers;

namespace Cluster.Contracts;

/// <summary>What a task name may be: 1 to 200 letters, digits or <c>_ . : / @ -</c>.</summary>
public static class TaskNames
{
    /// <summary>The longest task name, in characters: 200.</summary>
    public const int MaxLength = 200;

    // Checked on every submit, by the client and the coordinator: a vectorised scan, no allocation.
    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:/@-");

    /// <summary>True when <paramref name="name"/> may name a task; false for null, empty, too long or another character.</summary>
    public static bool IsValid(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= MaxLength && !name.AsSpan().ContainsAnyExcept(Allowed);

    /// <summary>Checks a task name, as every submit and registration does.</summary>
    /// <exception cref="ArgumentException">The name is not valid; the message quotes it and the rule.</exception>
    public static void Require(string? name)
    {
        if (!IsValid(name))
        {
            throw new ArgumentException($"Task name '{name}' must be 1 to {MaxLength} letters, digits or _ . : / @ -.", nameof(name));
        }
    }
}
