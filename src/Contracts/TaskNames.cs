namespace Cluster.Contracts;

/// <summary>What a task name may be: 1 to 200 letters, digits or <c>_ . : / @ -</c>.</summary>
public static class TaskNames
{
    public const int MaxLength = 200;

    public static bool IsValid(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= MaxLength && name.All(c => char.IsAsciiLetterOrDigit(c) || "_.:/@-".Contains(c));

    /// <exception cref="ArgumentException">The name is not valid.</exception>
    public static void Require(string? name)
    {
        if (!IsValid(name))
        {
            throw new ArgumentException($"Task name '{name}' must be 1 to {MaxLength} letters, digits or _ . : / @ -.", nameof(name));
        }
    }
}
