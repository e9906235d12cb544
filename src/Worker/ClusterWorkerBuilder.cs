using Cluster.Contracts;
using Cluster.Worker.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Worker;

/// <summary>
/// The task handlers of a worker hosted in an application (<c>services.AddClusterWorker(...)</c>).
/// Each run of a task gets a service scope of its own, disposed when the run ends: a handler
/// parameter of a registered service type, and a task module's constructor, take their services
/// from it, so a handler can use a scoped service (a DbContext, say), a typed HttpClient or an
/// <c>ILogger&lt;T&gt;</c>.
/// </summary>
public sealed class ClusterWorkerBuilder
{
    private readonly WorkerTasks _tasks;

    internal ClusterWorkerBuilder(IServiceCollection services, WorkerTasks tasks)
    {
        Services = services;
        _tasks = tasks;
    }

    /// <summary>The application's services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Adds the handlers of task module <typeparamref name="TModule"/>. The worker makes one instance
    /// from the application's services when it starts, to learn its handlers; then each run makes
    /// its own instance in its scope (or takes the one registered, if <typeparamref name="TModule"/>
    /// is a registered service), and a handler that is a method of the module — or a lambda that
    /// uses only its members — runs on that instance.
    /// </summary>
    /// <typeparam name="TModule">A task module whose constructor may take any registered service.</typeparam>
    /// <returns>This builder, for chaining.</returns>
    public ClusterWorkerBuilder AddTaskModule<TModule>()
        where TModule : class, ITaskModule
    {
        _tasks.Modules.Add(typeof(TModule));
        return this;
    }

    /// <summary>
    /// Adds <paramref name="handler"/> for the tasks named <paramref name="name"/>. Its parameters
    /// take, in order, the task's JSON arguments — except a <see cref="TaskContext"/>, a
    /// <see cref="CancellationToken"/> and any parameter of a registered service type, which come
    /// from the run (its services from the run's own scope). One that returns Task or ValueTask runs
    /// on the coroutine loop, any other on the thread pool.
    /// </summary>
    /// <param name="name">The task name.</param>
    /// <param name="handler">The handler.</param>
    /// <param name="policy">Retries and timeouts for every task of this name (a submit may override them).</param>
    /// <returns>This builder, for chaining.</returns>
    /// <exception cref="ArgumentException">The name is empty or malformed.</exception>
    public ClusterWorkerBuilder AddTask(string name, Delegate handler, TaskPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        TaskNames.Require(name);
        _tasks.Handlers.Add((name, handler, policy));
        return this;
    }
}
