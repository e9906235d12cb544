using System.Reflection;
using System.Text;
using Cluster.Worker;
using Cluster.Worker.Internal;

namespace Cluster.Worker.Tests;

public sealed class HandlerTests
{
    private static readonly TaskContext Context = new("t.1", "test", 1, CancellationToken.None);

    [Fact]
    public void SynchronousDelegate_RunsOnTheThreadPool_AndReturnsJson()
    {
        var handler = Handler.Create("add", (long a, long b) => a + b);

        var result = handler.Invoke(Context, "[2, 40]"u8);

        Assert.Equal(Executor.ThreadPool, handler.Executor);
        Assert.Equal("42", Encoding.UTF8.GetString(result));
    }

    [Fact]
    public async Task AsyncDelegate_RunsOnTheCoroutineLoop_AndReturnsItsAwaitedValue()
    {
        var handler = Handler.Create("greet", async (string name) =>
        {
            await Task.Yield();
            return "hello " + name;
        });

        var result = await handler.InvokeAsync(Context, "[\"ada\"]"u8.ToArray());

        Assert.Equal(Executor.CoroutineLoop, handler.Executor);
        Assert.Equal("\"hello ada\"", Encoding.UTF8.GetString(result));
    }

    [Fact]
    public void ContextAndToken_AreSupplied_NotReadFromTheArguments()
    {
        using var cts = new CancellationTokenSource();
        var context = new TaskContext("t.9", "ctx", 3, cts.Token);
        var handler = Handler.Create("ctx", (TaskContext c, int x, CancellationToken token) => $"{c.TaskId}/{c.Attempt}/{x}/{token == cts.Token}");

        var result = handler.Invoke(context, "[7]"u8);

        Assert.Equal("\"t.9/3/7/True\"", Encoding.UTF8.GetString(result));
    }

    [Fact]
    public void WrongArgumentCount_FailsWithTheSignature()
    {
        var handler = Handler.Create("add", (long a, long b) => a + b);

        var tooFew = Assert.Throws<ArgumentException>(() => handler.Invoke(Context, "[1]"u8));
        var tooMany = Assert.Throws<ArgumentException>(() => handler.Invoke(Context, "[1, 2, 3]"u8));

        Assert.Equal("Task 'add' takes 2 argument(s) (a, b); it was given 1.", tooFew.Message);
        Assert.Equal("Task 'add' takes 2 argument(s) (a, b); it was given 3.", tooMany.Message);
    }

    [Fact]
    public void ArgumentOfTheWrongType_FailsNamingTheParameter()
    {
        var handler = Handler.Create("add", (long a, long b) => a + b);

        var error = Assert.Throws<ArgumentException>(() => handler.Invoke(Context, "[1, \"two\"]"u8));

        Assert.StartsWith("Argument 'b' of task 'add' cannot be read as Int64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NumberInAString_DoesNotBindToANumericParameter()
    {
        var handler = Handler.Create("add", (long a, long b) => a + b);

        var error = Assert.Throws<ArgumentException>(() => handler.Invoke(Context, "[\"2\", \"3\"]"u8));

        Assert.StartsWith("Argument 'a' of task 'add' cannot be read as Int64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SampleAdd_FailsWithOverflowException_InsteadOfWrappingAround()
    {
        var registry = new TaskRegistry();
        new SampleTasks.SampleTasks().Register(registry);
        Assert.True(registry.TryGet("add", out var add));

        Assert.Throws<OverflowException>(() => add.Invoke(Context, "[9223372036854775807, 1]"u8));
        Assert.Equal("-9223372036854775808", Encoding.UTF8.GetString(add.Invoke(Context, "[-9223372036854775807, -1]"u8)));
    }

    [Fact]
    public void HandlerException_SurfacesUnwrapped()
    {
        var handler = Handler.Create("fail", new Func<string, int>(m => throw new InvalidOperationException(m)));

        var error = Assert.Throws<InvalidOperationException>(() => handler.Invoke(Context, "[\"no\"]"u8));

        Assert.Equal("no", error.Message);
    }

    [Fact]
    public void Registry_RefusesBadAndDuplicateNames()
    {
        var registry = new TaskRegistry().Register("a", () => 1);

        Assert.Throws<ArgumentException>(() => registry.Register("", () => 1));
        Assert.Throws<ArgumentException>(() => registry.Register("has space", () => 1));
        var duplicate = Assert.Throws<ArgumentException>(() => registry.Register("a", () => 2));
        Assert.StartsWith("A handler for task 'a' is registered already.", duplicate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_LoadsTheSampleTaskAssembly()
    {
        var registry = new TaskRegistry().AddAssembly(typeof(SampleTasks.SampleTasks).Assembly.Location);

        Assert.Equal(["add", "clock", "crash", "echo", "fail", "fib", "flaky", "hang", "progress", "queue.consume", "queue.hold", "queue.produce", "sleep", "spin", "sum", "throttled", "whoami", "whoami_async"], registry.Names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Registry_LoadsATaskAssemblyWhosePackageIsNotBesideIt()
    {
        var path = typeof(HandlerTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "HumanizerTasks").Value!;
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(path)!, "Humanizer.dll")), "the build output of a class library holds no package DLL");

        var registry = new TaskRegistry().AddAssembly(path);
        Assert.True(registry.TryGet("humanize", out var humanize));

        Assert.Equal("\"Pascal case input string\"", Encoding.UTF8.GetString(humanize.Invoke(Context, "[\"PascalCaseInputString\"]"u8)));
    }

    [Fact]
    public void Registry_LoadsATaskAssemblyWhosePackageHasANativeLibrary_FromThePackageCache()
    {
        var path = typeof(HandlerTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "LuaTasks").Value!;
        Assert.False(Directory.Exists(Path.Combine(Path.GetDirectoryName(path)!, "runtimes")), "the build output of a class library holds no native asset of its packages");

        var registry = new TaskRegistry().AddAssembly(path);
        Assert.True(registry.TryGet("lua", out var lua));

        Assert.Equal("42", Encoding.UTF8.GetString(lua.Invoke(Context, "[\"return 6 * 7\"]"u8)));
    }

    [Fact]
    public void Registry_RefusesAFileWithoutTaskModules()
    {
        var error = Assert.Throws<ArgumentException>(() => new TaskRegistry().AddAssembly(typeof(FactAttribute).Assembly.Location));

        Assert.Contains("has no public ITaskModule", error.Message, StringComparison.Ordinal);
    }
}
