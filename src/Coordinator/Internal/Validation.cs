using System.Text.Json;
using System.Text.Unicode;
using System.Text.RegularExpressions;

namespace Cluster.Coordinator.Internal;

/// <summary>Checks of everything a caller sends, each failing with a message that names the problem.</summary>
internal static partial class Validation
{
    public const int MaxIdentifierLength = 200;

    [GeneratedRegex("^[A-Za-z0-9_.:/@-]+$")]
    private static partial Regex IdentifierPattern();

    /// <summary>Null when valid; else what is wrong with it.</summary>
    public static string? Identifier(string what, string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return $"{what} is empty.";
        }
        if (value.Length > MaxIdentifierLength)
        {
            return $"{what} '{value[..40]}...' is {value.Length} characters long; the limit is {MaxIdentifierLength}.";
        }
        if (!IdentifierPattern().IsMatch(value))
        {
            return $"{what} '{value}' may hold only letters, digits and the characters _ . : / @ -.";
        }
        return null;
    }

    /// <summary>Null when the task's priority (0 to 9, unset: 5) and queue (empty: the default) are valid; else what is wrong with them.</summary>
    public static string? Order(Protocol.V1.TaskSpec task)
    {
        if (task.HasPriority && task.Priority is < 0 or > 9)
        {
            return $"priority {task.Priority} of task '{task.Id}' is out of range: 0 (lowest) to 9 (highest).";
        }
        return task.Queue.Length > 0 ? Contracts.QueueNames.Problem("queue", task.Queue) : null;
    }

    /// <summary>
    /// Null when valid: an id as the store keeps it, which, with tokens configured, starts with the
    /// identity that named it (<c>identity|id</c>, as dead letters list it); else what is wrong with it.
    /// </summary>
    public static string? StoredIdentifier(string what, string value)
    {
        var separator = value.IndexOf(Security.CallerIdentity.ScopeSeparator, StringComparison.Ordinal);
        if (separator < 0)
        {
            return Identifier(what, value);
        }
        if (separator == 0 || separator > MaxIdentifierLength || value.IndexOf(Security.CallerIdentity.ScopeSeparator, separator + 1) >= 0)
        {
            return $"{what} '{(value.Length > 40 ? value[..40] + "..." : value)}' may hold one '|' only after the identity that submitted it (identity|id).";
        }
        return Identifier(what, value[(separator + 1)..]);
    }

    /// <summary>Null when the bytes are one JSON array in valid UTF-8; else what is wrong with them.</summary>
    public static string? JsonArguments(string name, ReadOnlySpan<byte> json, int maxBytes)
    {
        if (json.Length > maxBytes)
        {
            return $"the arguments of task '{name}' are {json.Length} bytes; the limit is {maxBytes} bytes.";
        }
        if (json.IsEmpty)
        {
            return $"the arguments of task '{name}' are empty; send a JSON array ('[]' for none).";
        }
        // The JSON reader passes invalid UTF-8 inside strings through; a handler would see U+FFFD.
        if (!Utf8.IsValid(json))
        {
            return $"the arguments of task '{name}' are not valid UTF-8.";
        }
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                return $"the arguments of task '{name}' must be a JSON array.";
            }
            reader.Skip();
            if (reader.Read())
            {
                return $"the arguments of task '{name}' hold data after the JSON array.";
            }
            return null;
        }
        catch (JsonException e)
        {
            return $"the arguments of task '{name}' are not valid JSON: {e.Message}";
        }
    }

    /// <summary>The most inputs (futures among its arguments) one task may take.</summary>
    public const int MaxInputs = 10_000;

    /// <summary>Null when a task's inputs (futures among its arguments) are valid; else what is wrong with them.</summary>
    public static string? Inputs(Protocol.V1.TaskSpec task)
    {
        if (task.Inputs.Count > MaxInputs)
        {
            return $"task '{task.Id}' takes {task.Inputs.Count} inputs; the limit is {MaxInputs}.";
        }
        if (task.IdempotencyKey.Length > 0 || task.NotBeforeUnixMs != 0)
        {
            return $"task '{task.Id}' takes inputs: it can have neither an idempotency key nor a time to run at (it runs when its inputs have finished).";
        }
        var seen = new HashSet<string>(task.Inputs.Count, StringComparer.Ordinal);
        foreach (var input in task.Inputs)
        {
            if (Identifier("input task id", input) is { } problem)
            {
                return problem;
            }
            if (input == task.Id)
            {
                return $"task '{task.Id}' names itself among its inputs.";
            }
            if (!seen.Add(input))
            {
                return $"task '{task.Id}' names input '{input}' twice; each input is listed once (its placeholder may appear any number of times).";
            }
        }
        return null;
    }

    /// <summary>The longest delay a task may have (10 years), and the latest time (the end of year 9999).</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(3653);
    private static readonly long MaxNotBefore = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>Null when a task's not-before (a time in Unix ms above 0, a delay in ms below 0) is in range; else what is wrong with it.</summary>
    public static string? NotBefore(string name, long notBeforeUnixMs)
    {
        if (notBeforeUnixMs < 0 && -notBeforeUnixMs > (long)MaxDelay.TotalMilliseconds)
        {
            return $"the delay of task '{name}' is {-(double)notBeforeUnixMs / 86_400_000:0.#} days; the limit is {MaxDelay.TotalDays:0} days.";
        }
        if (notBeforeUnixMs > MaxNotBefore)
        {
            return $"the not-before time of task '{name}' ({notBeforeUnixMs} Unix ms) is past the year 9999.";
        }
        return null;
    }
}
