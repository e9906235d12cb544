using Cluster.WebApi.Contracts;
using Cluster.WebApi.Worker;

// A worker in a Generic Host: settings from appsettings.json, environment variables
// (Cluster__Worker__Coordinators__0=...) and the command line (--Cluster:Worker:Threads=8).
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddScoped<PriceList>();
builder.Services.AddHttpClient();
builder.Services.AddClusterWorker(builder.Configuration.GetSection("Cluster:Worker"))
    .AddTaskModule<PricingTasks>()
    // A handler's parameters of registered service types come from the run's own scope.
    .AddTask(QuoteTasks.Probe.Name, async (string url, IHttpClientFactory http, CancellationToken cancellationToken) =>
    {
        using var response = await http.CreateClient().GetAsync(new Uri(url), cancellationToken);
        return (int)response.StatusCode;
    });

await builder.Build().RunAsync();
