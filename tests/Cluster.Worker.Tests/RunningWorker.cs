using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Cluster.Worker.Tests;

/// <summary>A WorkerProcess running until disposed, with what it logged.</summary>
internal sealed class RunningWorker : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _log = new();
    private readonly ILoggerFactory _logging;
    private readonly WorkerProcess _worker;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    public RunningWorker(WorkerOptions options, TaskRegistry registry)
    {
        _logging = LoggerFactory.Create(builder => builder.AddProvider(new ListLoggerProvider(_log)));
        _worker = new WorkerProcess(options, registry, _logging.CreateLogger<WorkerProcess>());
        _running = _worker.RunAsync(_stop.Token);
    }

    public string Log => string.Join(Environment.NewLine, _log);

    /// <summary>Stops it as its host would (a drain, then its runs' tokens), and waits until it has stopped.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _running.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _worker.Dispose();
        _logging.Dispose();
        _stop.Dispose();
    }
}
