using System.Text.Json;

namespace Cluster.Worker.Internal;

/// <summary>
/// The managed assemblies a task library's .deps.json takes from NuGet packages, found in the
/// package cache (NUGET_PACKAGES, else ~/.nuget/packages): where a library built with dotnet build
/// finds its packages, since its build output holds none of them. A published library holds them
/// beside it instead, with its native assets, and needs none of this.
/// </summary>
internal sealed class PackageCache
{
    private static readonly PackageCache Empty = new(new Dictionary<string, string>());

    private readonly Dictionary<string, string> _assemblies;

    private PackageCache(Dictionary<string, string> assemblies) => _assemblies = assemblies;

    /// <summary>Reads the .deps.json beside <paramref name="assemblyPath"/>; empty when there is none or no cache.</summary>
    public static PackageCache ForDependenciesOf(string assemblyPath)
    {
        var deps = Path.ChangeExtension(assemblyPath, ".deps.json");
        var root = Root();
        if (!File.Exists(deps) || root is null)
        {
            return Empty;
        }
        using var document = JsonDocument.Parse(File.ReadAllBytes(deps));
        var json = document.RootElement;
        var assemblies = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (!json.TryGetProperty("runtimeTarget", out var target) || !target.TryGetProperty("name", out var targetName)
            || !json.TryGetProperty("targets", out var targets) || !targets.TryGetProperty(targetName.GetString()!, out var libraries)
            || !json.TryGetProperty("libraries", out var catalog))
        {
            return Empty;
        }
        foreach (var library in libraries.EnumerateObject())
        {
            if (!library.Value.TryGetProperty("runtime", out var runtime)
                || !catalog.TryGetProperty(library.Name, out var entry)
                || entry.GetProperty("type").GetString() != "package"
                || !entry.TryGetProperty("path", out var packagePath))
            {
                continue;
            }
            foreach (var asset in runtime.EnumerateObject())
            {
                var file = Path.Combine(root, packagePath.GetString()!, asset.Name);
                if (File.Exists(file))
                {
                    assemblies.TryAdd(Path.GetFileNameWithoutExtension(file), file);
                }
            }
        }
        return new PackageCache(assemblies);
    }

    /// <summary>The cached file of the assembly named <paramref name="name"/>, or null.</summary>
    public string? Find(string name) => _assemblies.GetValueOrDefault(name);

    private static string? Root()
    {
        var configured = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".nuget", "packages");
    }
}
