using System.Reflection;

namespace Cluster.IntegrationTests.Worker;

/// <summary>Task assemblies the worker processes of a test load with --tasks.</summary>
internal static class TaskLibraries
{
    /// <summary>The sample tasks, beside the cluster command.</summary>
    public static string Samples => Path.Combine(AppContext.BaseDirectory, "Cluster.SampleTasks.dll");

    /// <summary>
    /// tests/Cluster.TestTasks.Humanizer as dotnet build leaves it: a class library whose task uses
    /// the Humanizer package, which is not in its build output.
    /// </summary>
    public static string Humanizer => typeof(TaskLibraries).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "HumanizerTasks").Value!;
}
