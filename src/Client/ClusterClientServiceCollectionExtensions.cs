using Cluster.Client;
using Cluster.Client.Internal;
using Cluster.Shared;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the cluster's client SDK in an application's services.</summary>
public static class ClusterClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds one <see cref="IClusterExecutor"/> (also as <see cref="ClusterExecutor"/>), a singleton
    /// created on first use with <see cref="ClusterExecutorOptions"/> bound from
    /// <paramref name="configuration"/> (e.g. the section <c>Cluster:Client</c>, whose
    /// <c>Addresses:0</c> names the first coordinator). The options are checked when the host
    /// starts: a setting out of range stops it, with a message naming the setting and its range.
    /// When the host stops, the executor stops taking tasks and waits for its futures until the
    /// host's shutdown timeout, then fails those still pending with <see cref="ObjectDisposedException"/>
    /// (their tasks, accepted, still run) and closes its streams.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">The configuration section of the client's settings.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddClusterClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var setting = configuration is IConfigurationSection section ? section.Path : null;
        return services.AddClusterClient(setting, options => options.Bind(configuration));
    }

    /// <summary>
    /// Adds one <see cref="IClusterExecutor"/> (also as <see cref="ClusterExecutor"/>) with the
    /// settings <paramref name="configure"/> writes (at least one of
    /// <see cref="ClusterExecutorOptions.Addresses"/>); see
    /// <see cref="AddClusterClient(IServiceCollection, IConfiguration)"/>.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Writes the client's settings.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddClusterClient(this IServiceCollection services, Action<ClusterExecutorOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddClusterClient(setting: null, options => options.Configure(configure));
    }

    /// <summary>The first bad setting: the executor's own rules, then its addresses.</summary>
    private static string? Problem(ClusterExecutorOptions options)
    {
        if (options.Problem() is { } problem)
        {
            return problem[(nameof(ClusterExecutorOptions).Length + 1)..];
        }
        return SettingsValidator<ClusterExecutorOptions>.Problem(() => ClusterExecutor.ParseAddresses(options.Addresses)) is { } addresses
            ? $"{nameof(ClusterExecutorOptions.Addresses)}: {addresses}"
            : null;
    }

    private static IServiceCollection AddClusterClient(this IServiceCollection services, string? setting, Action<OptionsBuilder<ClusterExecutorOptions>> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<ClusterExecutorOptions>();
        configure(options);
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClusterExecutorOptions>>(new SettingsValidator<ClusterExecutorOptions>(setting, Problem)));
        services.TryAddSingleton<ClusterClientLifetime>();
        services.TryAddSingleton(sp => sp.GetRequiredService<ClusterClientLifetime>().Create());
        services.TryAddSingleton<IClusterExecutor>(sp => sp.GetRequiredService<ClusterExecutor>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Hosting.IHostedService, ClusterClientLifetime>(sp => sp.GetRequiredService<ClusterClientLifetime>()));
        return services;
    }
}
