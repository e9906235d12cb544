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
    public TaskDef(string name)
    {
        TaskNames.Require(name);
        Name = name;
    }

    public string Name { get; }

    public override string ToString() => $"{Name}({typeof(TArg).Name}) -> {typeof(TResult).Name}";
}

/// <summary>A task without arguments.</summary>
public sealed class TaskDef<TResult>
{
    public TaskDef(string name)
    {
        TaskNames.Require(name);
        Name = name;
    }

    public string Name { get; }

    public override string ToString() => $"{Name}() -> {typeof(TResult).Name}";
}
