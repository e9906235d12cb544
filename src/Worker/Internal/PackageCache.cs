using System.Runtime.InteropServices;
using System.Text.Json;

namespace Cluster.Worker.Internal;

/// <summary>
/// The managed assemblies and native libraries (of this platform: runtimes/RID/native) a task
/// library's .deps.json takes from NuGet packages, found in the package cache (NUGET_PACKAGES, else
/// ~/.nuget/packages): where a library built with dotnet build finds its packages, since its build
/// output holds none of them. A published library holds them beside it instead and needs none of this.
/// </summary>
internal sealed class PackageCache
{
    private static readonly PackageCache Empty = new(new Dictionary<string, string>(), new Dictionary<string, string>());

    /// <summary>This platform's runtime identifier as packages name their native folders, e.g. linux-x64.</summary>
    private static readonly string Platform = $"{(OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux")}-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";

    private readonly Dictionary<string, string> _assemblies;
    private readonly Dictionary<string, string> _natives;

    private PackageCache(Dictionary<string, string> assemblies, Dictionary<string, string> natives)
    {
        _assemblies = assemblies;
        _natives = natives;
    }

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
        var natives = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var library in libraries.EnumerateObject())
        {
            if (!catalog.TryGetProperty(library.Name, out var entry)
                || entry.GetProperty("type").GetString() != "package"
                || !entry.TryGetProperty("path", out var packagePath))
            {
                continue;
            }
            var package = Path.Combine(root, packagePath.GetString()!);
            if (library.Value.TryGetProperty("runtime", out var runtime))
            {
                foreach (var asset in runtime.EnumerateObject())
                {
                    var file = Path.Combine(package, asset.Name);
                    if (File.Exists(file))
                    {
                        assemblies.TryAdd(Path.GetFileNameWithoutExtension(file), file);
                    }
                }
            }
            if (library.Value.TryGetProperty("runtimeTargets", out var targeted))
            {
                foreach (var asset in targeted.EnumerateObject())
                {
                    var file = Path.Combine(package, asset.Name);
                    if (asset.Value.TryGetProperty("assetType", out var type) && type.GetString() == "native"
                        && asset.Value.TryGetProperty("rid", out var rid) && rid.GetString() == Platform
                        && File.Exists(file))
                    {
                        natives.TryAdd(Path.GetFileName(file), file);
                    }
                }
            }
        }
        return new PackageCache(assemblies, natives);
    }

    /// <summary>The cached file of the assembly named <paramref name="name"/>, or null.</summary>
    public string? Find(string name) => _assemblies.GetValueOrDefault(name);

    /// <summary>
    /// The cached file of the native library <paramref name="name"/> as a DllImport names it
    /// (<c>lua54</c> finds <c>liblua54.so</c>, <c>lua54.dll</c> or <c>liblua54.dylib</c>), or null.
    /// </summary>
    public string? FindNative(string name) =>
        new[] { name, $"lib{name}.so", $"{name}.so", $"{name}.dll", $"lib{name}.dylib", $"{name}.dylib" }
            .Select(file => _natives.GetValueOrDefault(file)).FirstOrDefault(path => path is not null);

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
