using System.Collections;
using System.Globalization;

namespace Cluster.Worker.Internal.Telemetry;

/// <summary>The logging scope of one task run: <c>TaskId</c>, <c>TaskName</c>, <c>Attempt</c>.</summary>
internal sealed class RunScope(string taskId, string taskName, int attempt) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 3;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("TaskId", taskId),
        1 => new("TaskName", taskName),
        2 => new("Attempt", attempt),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"task {taskId} ({taskName}, attempt {attempt})");
}
