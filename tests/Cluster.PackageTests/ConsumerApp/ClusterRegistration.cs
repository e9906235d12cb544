using Cluster.Client;
using Cluster.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ConsumerApp;

/// <summary>Everything the app tells the container about the cluster: a client, a worker and its tasks.</summary>
internal static class ClusterRegistration
{
    public static IServiceCollection AddCluster(this IServiceCollection services, IConfiguration configuration)
    {
        // The client: one executor for the app, disposed (its futures awaited) when the host stops.
        var addresses = configuration.GetSection("Cluster:Client:Addresses").GetChildren().Select(a => a.Value!).ToList();
        services.AddSingleton(sp => new ClusterExecutor(addresses, new ClusterExecutorOptions { LoggerFactory = sp.GetRequiredService<ILoggerFactory>() }));

        // The worker: one worker process inside this host, running these handlers.
        services.AddSingleton(configuration.GetSection("Cluster:Worker").Get<WorkerOptions>()!);
        services.AddSingleton(sp =>
        {
            var greeter = sp.GetRequiredService<Greeter>();
            return new TaskRegistry()
                .Register("add", (long a, long b) => a + b)
                .Register("greet", (string name) => greeter.Greet(name))
                .Register("square", (long x) => x * x)
                .Register("whoami", () => Environment.ProcessId)
                .Register("later", async (string text, CancellationToken cancellationToken) =>
                {
                    await Task.Yield();
                    return TaskContext.CurrentExecutor + ":" + text;
                })
                .Register("fail", string (string message) => throw new InvalidOperationException(message));
        });
        services.AddHostedService<WorkerService>();
        return services;
    }
}
