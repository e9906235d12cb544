using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Cluster.Contracts;
using Cluster.SampleTasks.Contracts;
using Cluster.Worker;

namespace Cluster.SampleTasks;

/// <summary>The sample tasks. Synchronous ones run on a worker's thread pool, async ones on its coroutine loop.</summary>
public sealed class SampleTasks : ITaskModule
{
    public void Register(TaskRegistry tasks)
    {
        tasks.Register("echo", (JsonElement x) => x);
        // Checked: a sum past long's range fails with an OverflowException instead of wrapping around.
        tasks.Register("add", (long a, long b) => checked(a + b));
        // The fan-in of a graph: the results of many tasks, passed as futures, summed.
        tasks.Register("sum", (long[] values) => values.Sum(v => v));
        tasks.Handle(MathTasks.Fib, Fib);
        tasks.Register("spin", (int ms, CancellationToken cancellationToken) => Spin(ms, cancellationToken));
        tasks.Register("sleep", SleepAsync);
        tasks.Register("fail", (string message) => Fail(message));
        tasks.Handle(MathTasks.WhoAmI, Here);
        tasks.Register("whoami_async", WhoAmIAsync);
        tasks.Handle(MathTasks.Progress, ProgressAsync);
        tasks.Register("flaky", (int failures, TaskContext context) => Flaky(failures, context));
        tasks.Register("hang", (int ms) => Hang(ms));
        tasks.Register("crash", () => Crash());
        QueueTasks.Register(tasks);
        // The worker's clock (Unix ms) when the task starts: when a delayed or scheduled task really ran.
        tasks.Register("clock", (TaskContext context) => new ClockReading(context.TaskId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        // As a call to an API that allows 20 a second: the store's token bucket holds every worker to it.
        tasks.Register("throttled", () => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), new TaskPolicy { RateLimit = new RateLimit(20, TimeSpan.FromSeconds(1)) });
    }

    /// <summary>Recursive on purpose: CPU work.</summary>
    public static long Fib(int n)
    {
        if (n is < 0 or > 92)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, "fib is defined here for 0 <= n <= 92.");
        }
        return n < 2 ? n : Fib(n - 1) + Fib(n - 2);
    }

    /// <summary>Keeps a CPU busy for <paramref name="ms"/> milliseconds.</summary>
    public static int Spin(int ms, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        while (watch.ElapsedMilliseconds < ms)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Thread.SpinWait(1000);
        }
        return ms;
    }

    /// <summary>Waits without a thread: on the coroutine loop, thousands interleave.</summary>
    public static async Task<double> SleepAsync(double seconds, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken);
        return seconds;
    }

    private static int Fail(string message) => throw new InvalidOperationException(message);

    /// <summary>Fails with an IOException on its first <paramref name="failures"/> attempts, then returns the attempt number.</summary>
    private static int Flaky(int failures, TaskContext context) =>
        context.Attempt <= failures ? throw new IOException($"flaky: attempt {context.Attempt} of {failures} failing ones") : context.Attempt;

    /// <summary>Blocks a pool thread for <paramref name="ms"/>, ignoring cancellation: what a hard timeout is for.</summary>
    private static int Hang(int ms)
    {
        Thread.Sleep(ms);
        return ms;
    }

    /// <summary>Ends its worker process at once: a poison task.</summary>
    private static int Crash()
    {
        Environment.FailFast("crash: a poison task ended this worker process");
        return 0;
    }

    private static async Task<WhoAmI> WhoAmIAsync()
    {
        await Task.Yield();
        return Here();
    }

    private static WhoAmI Here() =>
        new(Dns.GetHostName(), Environment.ProcessId, TaskContext.CurrentExecutor.ToString(), Thread.CurrentThread.Name ?? "?");

    /// <summary>Reports progress after each step: how a long task keeps its client informed.</summary>
    private static async Task<int> ProgressAsync(int steps, TaskContext context)
    {
        for (var i = 1; i <= steps; i++)
        {
            await Task.Delay(20, context.CancellationToken);
            context.ReportProgress((double)i / steps, $"step {i} of {steps}");
        }
        return steps;
    }
}
