using ConsumerApp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// A Generic Host that runs a worker and a client of the cluster side by side. The coordinator
// addresses come from configuration: --Cluster:Client:Addresses:0=URL --Cluster:Worker:Coordinators:0=URL.
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddSingleton<Greeter>();
builder.Services.AddCluster(builder.Configuration);
builder.Services.AddHostedService<Submitter>();
await builder.Build().RunAsync();
