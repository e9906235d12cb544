using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ConsumerApp;

/// <summary>Everything the app tells the container about the cluster: a client, a worker and its tasks.</summary>
internal static class ClusterRegistration
{
    public static IServiceCollection AddCluster(this IServiceCollection services, IConfiguration configuration)
    {
        // The client: one executor for the app, shut down with the host.
        services.AddClusterClient(configuration.GetSection("Cluster:Client"));

        // The worker: one worker process inside this host; a handler takes the app's services as parameters.
        services.AddClusterWorker(configuration.GetSection("Cluster:Worker"))
            .AddTask("add", (long a, long b) => a + b)
            .AddTask("greet", (string name, Greeter greeter) => greeter.Greet(name))
            .AddTask("square", (long x) => x * x)
            .AddTask("whoami", () => Environment.ProcessId)
            .AddTask("later", async (string text, CancellationToken cancellationToken) =>
            {
                await Task.Yield();
                return Cluster.Worker.TaskContext.CurrentExecutor + ":" + text;
            })
            .AddTask("fail", string (string message) => throw new InvalidOperationException(message));
        return services;
    }
}
