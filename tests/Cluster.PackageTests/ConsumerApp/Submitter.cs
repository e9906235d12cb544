using Cluster.Client;
using Microsoft.Extensions.Hosting;

namespace ConsumerApp;

/// <summary>
/// Submits tasks through the executor from the container, prints one line per result
/// (<c>RESULT name=value</c>), then stops the host; the exit code is 0 only when all went through.
/// </summary>
internal sealed class Submitter(IClusterExecutor executor, IHostApplicationLifetime lifetime) : BackgroundService
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            Console.WriteLine($"PID {Environment.ProcessId}");
            Console.WriteLine($"RESULT add={await executor.Submit<long>("add", 2, 3).AsTask().WaitAsync(Timeout, stoppingToken)}");
            Console.WriteLine($"RESULT greet={await executor.Submit<string>("greet", "cluster").AsTask().WaitAsync(Timeout, stoppingToken)}");
            Console.WriteLine($"RESULT whoami={await executor.Submit<int>("whoami").AsTask().WaitAsync(Timeout, stoppingToken)}");
            Console.WriteLine($"RESULT later={await executor.Submit<string>("later", "done").AsTask().WaitAsync(Timeout, stoppingToken)}");
            long squares = 0;
            await foreach (var square in executor.MapAsync<long>("square", Enumerable.Range(1, 100).Select(i => new object?[] { i }), Timeout, chunkSize: 10, stoppingToken))
            {
                squares += square;
            }
            Console.WriteLine($"RESULT squares={squares}");
            try
            {
                await executor.Submit<string>("fail", "boom").AsTask().WaitAsync(Timeout, stoppingToken);
                Console.WriteLine("RESULT fail=no error");
            }
            catch (RemoteTaskException e)
            {
                Console.WriteLine($"RESULT fail={e.RemoteType}: {e.RemoteMessage}");
            }
            Environment.ExitCode = 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"FAILED {e}");
            Environment.ExitCode = 1;
        }
        finally
        {
            lifetime.StopApplication();
        }
    }
}
