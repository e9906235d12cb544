namespace Cluster.Contracts;

/// <summary>
/// A task's name with its argument and result types, defined once in an assembly that client and
/// worker share, so that <c>executor.Submit(MathTasks.Fib, 30)</c> and
/// <c>tasks.Handle(MathTasks.Fib, n => ...)</c> are checked by the compiler.
/// </summary>
/// <typeparam name="TArg">The one argument (use a record for several).</typeparam>
/// <typeparam name="TResult">The result.</typeparam>
public sealed class TaskDef<TArg, TResult>
{
    /// <summary>Defines the task <paramref name="name"/>; the worker must register a handler under the same name.</summary>
    /// <exception cref="ArgumentException">The name is not a valid task name (see <see cref="TaskNames"/>).</exception>
    public TaskDef(string name)
    {
        TaskNames.Require(name);
        Name = name;
    }

    /// <summary>The name the task is submitted and registered under.</summary>
    public string Name { get; }

    /// <summary>The task's signature, e.g. <c>fib(Int32) -> Int64</c>.</summary>
    public override string ToString() => $"{Name}({typeof(TArg).Name}) -> {typeof(TResult).Name}";
}

/// <summary>A task without arguments.</summary>
public sealed class TaskDef<TResult>
{
    /// <summary>Defines the task <paramref name="name"/>; the worker must register a handler under the same name.</summary>
    /// <exception cref="ArgumentException">The name is not a valid task name (see <see cref="TaskNames"/>).</exception>
    public TaskDef(string name)
    {
        TaskNames.Require(name);
        Name = name;
    }

    /// <summary>The name the task is submitted and registered under.</summary>
    public string Name { get; }

    /// <summary>The task's signature, e.g. <c>whoami() -> String</c>.</summary>
    public override string ToString() => $"{Name}() -> {typeof(TResult).Name}";
}
