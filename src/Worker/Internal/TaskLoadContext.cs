using System.Reflection;
using System.Runtime.Loader;

namespace Cluster.Worker.Internal;

/// <summary>
/// One task assembly's own load context: its dependencies resolve as its .deps.json says — beside
/// it (a published library), or in the NuGet package cache (a library built with dotnet build),
/// native libraries included — so two task assemblies may even use two versions of a package. The
/// worker's own contracts (Cluster.Worker, Cluster.Contracts and the assemblies their public types
/// come from) always resolve to the host's copies, so a module's <see cref="ITaskModule"/> is the
/// worker's type whatever copies lie beside the library.
/// </summary>
internal sealed class TaskLoadContext : AssemblyLoadContext
{
    private static readonly HashSet<string> Shared = SharedNames();

    private readonly AssemblyDependencyResolver _resolver;
    private readonly PackageCache _packages;

    public TaskLoadContext(string path)
        : base($"tasks:{Path.GetFileNameWithoutExtension(path)}")
    {
        _resolver = new AssemblyDependencyResolver(path);
        _packages = PackageCache.ForDependenciesOf(path);
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is null || Shared.Contains(assemblyName.Name))
        {
            return null; // the host's copy
        }
        var path = _resolver.ResolveAssemblyToPath(assemblyName) ?? _packages.Find(assemblyName.Name);
        // Null: not the library's own dependency (the framework, say): the default context has it.
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        // Beside the library (published), else from its package in the cache (built with dotnet build).
        var path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) ?? _packages.FindNative(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }

    /// <summary>The worker's contract assemblies and every assembly they reference.</summary>
    private static HashSet<string> SharedNames()
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var assembly in new[] { typeof(ITaskModule).Assembly, typeof(Contracts.TaskPolicy).Assembly })
        {
            names.Add(assembly.GetName().Name!);
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                names.Add(reference.Name!);
            }
        }
        return names;
    }
}
