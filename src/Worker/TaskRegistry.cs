using System.Reflection;
using Cluster.Contracts;
using Cluster.Worker.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Worker;

/// <summary>
/// Task handlers by name. A handler is any delegate: its parameters take the task's JSON arguments
/// in order (a <see cref="TaskContext"/> or <see cref="CancellationToken"/> parameter is supplied
/// instead); one that returns Task or ValueTask runs on the coroutine loop, any other on the
/// thread pool.
/// </summary>
public sealed class TaskRegistry
{
    private readonly Dictionary<string, Handler> _handlers = new(StringComparer.Ordinal);
    private readonly IServiceProviderIsService? _services;
    // The module whose Register is running now, if any: its methods run on each run's own instance.
    private ITaskModule? _registering;

    /// <summary>A registry without dependency injection: every handler parameter but the context is a task argument.</summary>
    public TaskRegistry()
    {
    }

    /// <summary>A registry of a worker hosted with dependency injection: a handler parameter of a registered service type comes from the run's scope.</summary>
    internal TaskRegistry(IServiceProvider services)
    {
        Services = services;
        _services = services.GetService<IServiceProviderIsService>();
    }

    /// <summary>The application's services, when the worker is hosted with dependency injection; else null.</summary>
    internal IServiceProvider? Services { get; }

    /// <summary>The task names registered so far; a worker process takes only tasks of these names.</summary>
    public IReadOnlyCollection<string> Names => _handlers.Keys;

    /// <summary>Registers <paramref name="handler"/> under <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name is empty, malformed or taken.</exception>
    /// <param name="name">The task name clients submit (see <see cref="TaskNames"/>).</param>
    /// <param name="handler">Any delegate; its parameters take the task's JSON arguments in order.</param>
    /// <param name="policy">Retries and timeouts for every task of this name (a submit may override them).</param>
    public TaskRegistry Register(string name, Delegate handler, TaskPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        TaskNames.Require(name);
        var module = _registering is not null && ReferenceEquals(handler.Target, _registering) ? _registering.GetType() : null;
        if (!_handlers.TryAdd(name, Handler.Create(name, handler, policy, _services, module)))
        {
            throw new ArgumentException($"A handler for task '{name}' is registered already.", nameof(name));
        }
        return this;
    }

    /// <summary>Handles a typed task on the thread pool.</summary>
    public TaskRegistry Handle<TArg, TResult>(TaskDef<TArg, TResult> task, Func<TArg, TResult> handler) => Register(task.Name, handler);

    /// <summary>Handles a typed task on the thread pool, with its context.</summary>
    public TaskRegistry Handle<TArg, TResult>(TaskDef<TArg, TResult> task, Func<TArg, TaskContext, TResult> handler) => Register(task.Name, handler);

    /// <summary>Handles a typed task on the coroutine loop.</summary>
    public TaskRegistry Handle<TArg, TResult>(TaskDef<TArg, TResult> task, Func<TArg, Task<TResult>> handler) => Register(task.Name, handler);

    /// <summary>Handles a typed task on the coroutine loop, with its context.</summary>
    public TaskRegistry Handle<TArg, TResult>(TaskDef<TArg, TResult> task, Func<TArg, TaskContext, Task<TResult>> handler) => Register(task.Name, handler);

    /// <summary>Handles a typed task without arguments on the thread pool.</summary>
    public TaskRegistry Handle<TResult>(TaskDef<TResult> task, Func<TResult> handler) => Register(task.Name, handler);

    /// <summary>Handles a typed task without arguments on the coroutine loop.</summary>
    public TaskRegistry Handle<TResult>(TaskDef<TResult> task, Func<Task<TResult>> handler) => Register(task.Name, handler);

    /// <summary>Registers every <see cref="ITaskModule"/> in a task assembly.</summary>
    /// <exception cref="ArgumentException">The file is missing or holds no task module.</exception>
    public TaskRegistry AddAssembly(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new ArgumentException($"Task assembly '{full}' does not exist.", nameof(path));
        }
        var assembly = Load(full);
        var modules = assembly.GetExportedTypes()
            .Where(t => typeof(ITaskModule).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false } && t.GetConstructor(Type.EmptyTypes) is not null)
            .ToList();
        if (modules.Count == 0)
        {
            throw new ArgumentException($"Task assembly '{full}' has no public {nameof(ITaskModule)} with a parameterless constructor.", nameof(path));
        }
        foreach (var type in modules)
        {
            ((ITaskModule)Activator.CreateInstance(type)!).Register(this);
        }
        return this;
    }

    /// <summary>
    /// Registers the handlers of <paramref name="module"/>, an instance made from the application's
    /// services: a handler that is a method of the module (or a lambda that uses only its members)
    /// then runs on the module's instance of each run's own scope.
    /// </summary>
    internal void AddModule(ITaskModule module)
    {
        _registering = module;
        try
        {
            module.Register(this);
        }
        finally
        {
            _registering = null;
        }
    }

    internal bool TryGet(string name, out Handler handler) => _handlers.TryGetValue(name, out handler!);

    internal IEnumerable<Handler> Handlers => _handlers.Values;

    /// <summary>Loads a task assembly into a load context of its own, where its dependencies resolve as its deps.json says.</summary>
    private static Assembly Load(string path) => new TaskLoadContext(path).LoadFromAssemblyPath(path);
}
