using Cluster.Worker;
using Humanizer;

namespace Cluster.TestTasks.Humanizer;

/// <summary>A task that needs a package the worker does not ship: Humanizer.</summary>
public sealed class HumanizerTasks : ITaskModule
{
    public void Register(TaskRegistry tasks) =>
        tasks.Register("humanize", (string text) => text.Humanize());
}
