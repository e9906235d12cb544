using Cluster.Worker;
using Cluster.Shared;
using Cluster.Worker.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Runs a cluster worker inside an application's own Generic Host.</summary>
public static class ClusterWorkerServiceCollectionExtensions
{
    /// <summary>
    /// Adds a worker process's connection as a hosted service, with <see cref="WorkerOptions"/>
    /// bound from <paramref name="configuration"/> (e.g. the section <c>Cluster:Worker</c>, whose
    /// <c>Coordinators:0</c> names the first coordinator). The options are checked when the host
    /// starts: a setting out of range stops it, with a message naming the setting and its range.
    /// The worker starts with the host and drains when it stops. Unlike a process of
    /// <c>cluster worker</c>, a handler still running at its hard timeout does not end the
    /// application: its task fails and its thread stays busy until it returns.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">The configuration section of the worker's settings.</param>
    /// <returns>A builder to add the worker's task handlers with.</returns>
    public static ClusterWorkerBuilder AddClusterWorker(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var setting = configuration is IConfigurationSection section ? section.Path : null;
        return services.AddClusterWorker(setting, options => options.Bind(configuration));
    }

    /// <summary>
    /// Adds a worker process's connection as a hosted service, with the settings
    /// <paramref name="configure"/> writes (at least a coordinator); see
    /// <see cref="AddClusterWorker(IServiceCollection, IConfiguration)"/>.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Writes the worker's settings.</param>
    /// <returns>A builder to add the worker's task handlers with.</returns>
    public static ClusterWorkerBuilder AddClusterWorker(this IServiceCollection services, Action<WorkerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddClusterWorker(setting: null, options => options.Configure(configure));
    }

    private static ClusterWorkerBuilder AddClusterWorker(this IServiceCollection services, string? setting, Action<OptionsBuilder<WorkerOptions>> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<WorkerOptions>();
        configure(options);
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WorkerOptions>>(new SettingsValidator<WorkerOptions>(setting, o => SettingsValidator<WorkerOptions>.Problem(o.Validate))));
        // One worker per application: a second call adds to the same one.
        var tasks = services.FirstOrDefault(d => d.ServiceType == typeof(WorkerTasks))?.ImplementationInstance as WorkerTasks;
        if (tasks is null)
        {
            tasks = new WorkerTasks();
            services.AddSingleton(tasks);
            services.AddSingleton<Hosting.IHostedService, HostedWorker>();
        }
        return new ClusterWorkerBuilder(services, tasks);
    }
}
